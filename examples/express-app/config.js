// Configuration comes from the environment only. A missing or malformed variable stops the app before it listens,
// with one line naming the variable, so a typo never turns into a confusing redirect loop at sign-in.

export class ConfigError extends Error {}

function required(name, value) {
  if (!value) throw new ConfigError(`${name} is required`);
  return value;
}

function httpUrl(name, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL`);
  return url.href.replace(/\/$/, '');
}

export function loadConfig() {
  const host = process.env.HOST || '127.0.0.2';
  const portText = process.env.PORT || '4001';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new ConfigError(`PORT must be a port number, got ${JSON.stringify(portText)}`);

  const issuer = httpUrl('ISSUER', required('ISSUER', process.env.ISSUER));
  const clientId = required('CLIENT_ID', process.env.CLIENT_ID);
  // A confidential client: the code is only redeemed with this secret (OIDC Core §9, client_secret_basic).
  const clientSecret = required('CLIENT_SECRET', process.env.CLIENT_SECRET);
  // Encrypts the session cookie, which holds the tokens: it must be long and random (`openssl rand -hex 32`).
  const sessionSecret = required('SESSION_SECRET', process.env.SESSION_SECRET);
  if (sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET must be at least 32 characters');
  // The public URL: the redirect, post-logout and back-channel URIs registered at Gatehouse are built from it.
  const baseUrl = httpUrl('BASE_URL', process.env.BASE_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`);

  return { host, port, issuer, clientId, clientSecret, sessionSecret, baseUrl };
}
