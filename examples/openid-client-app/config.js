// Configuration comes from environment variables only. A missing or invalid value stops the app before it
// listens, with one line on stderr naming the variable.

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function httpUrl(name, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${name} must be an http or https URL`);
  if (url.search || url.hash) fail(`${name} must not have a query or a fragment`);
  return url;
}

function required(name) {
  const value = process.env[name];
  if (!value) fail(`${name} is required`);
  return value;
}

export function loadConfig() {
  const issuer = httpUrl('ISSUER', required('ISSUER'));
  const clientId = required('CLIENT_ID');
  const clientSecret = required('CLIENT_SECRET');
  const sessionSecret = required('SESSION_SECRET');
  // The secret signs the session cookie; a short one could be guessed offline from a captured cookie.
  if (sessionSecret.length < 32) fail('SESSION_SECRET must be at least 32 characters long');

  const host = process.env.HOST || '127.0.0.3';
  const portText = process.env.PORT || '4002';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) fail(`PORT must be a port number, got "${portText}"`);

  const baseUrl = httpUrl('BASE_URL', process.env.BASE_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const base = baseUrl.href.replace(/\/+$/, '');

  return {
    issuer,
    clientId,
    clientSecret,
    sessionSecret,
    host,
    port,
    baseUrl: base,
    secureCookies: baseUrl.protocol === 'https:',
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/signed-out`,
  };
}
