// Serves the single-page application and starts its API. The SPA is a public client (no secret): it signs in
// with the authorization code flow and PKCE (RFC 7636) in the browser, with oidc-client-ts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createApi } from './api.js';

function fail(message) {
  console.error(message);
  process.exit(1);
}

function urlFrom(name, value) {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return url;
  } catch {
    return fail(`${name} must be an http(s) URL`);
  }
}

function portFrom(name, value) {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name} must be a port number`);
  return port;
}

const env = process.env;
if (!env.ISSUER) fail('ISSUER is required (the Gatehouse issuer URL)');
if (!env.CLIENT_ID) fail("CLIENT_ID is required (the SPA's client id, a public client)");
const issuer = env.ISSUER;
const clientId = env.CLIENT_ID;
const issuerOrigin = urlFrom('ISSUER', issuer).origin;
const host = env.HOST || '127.0.0.4';
const port = portFrom('PORT', env.PORT || '4003');
const baseUrl = (env.BASE_URL || `http://${host}:${port}`).replace(/\/$/, '');
const spaOrigin = urlFrom('BASE_URL', baseUrl).origin;
const apiHost = env.API_HOST || '127.0.0.5';
const apiPort = portFrom('API_PORT', env.API_PORT || '4004');
const apiUrl = (env.API_URL || `http://${apiHost}:${apiPort}`).replace(/\/$/, '');
const apiOrigin = urlFrom('API_URL', apiUrl).origin;
// The API's identifier at Gatehouse: the `resource` the SPA asks for and the `aud` the API accepts (RFC 8707).
const apiIdentifier = env.API_IDENTIFIER || `${apiUrl}/api`;
urlFrom('API_IDENTIFIER', apiIdentifier);
// The one scope the API defines; `/api/me` needs it.
const apiScope = 'demo:read';

const here = dirname(fileURLToPath(import.meta.url));
const publicFile = (name) => join(here, 'public', name);
// The package's exports allow only its package.json; the browser build sits beside it.
const vendorFile = join(dirname(createRequire(import.meta.url).resolve('oidc-client-ts/package.json')), 'dist/browser/oidc-client-ts.min.js');

// The browser talks to Gatehouse (discovery, token endpoint) and to the API; nothing is inline.
const csp = [
  "default-src 'self'",
  `connect-src 'self' ${issuerOrigin} ${apiOrigin}`,
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  `form-action 'self' ${issuerOrigin}`,
].join('; ');

const spa = express();
spa.disable('x-powered-by');
spa.use((req, res, next) => {
  res.set('X-Content-Type-Options', 'nosniff');
  // The redirect URI carries the authorization code in its query: never leak it in a Referer.
  res.set('Referrer-Policy', 'no-referrer');
  res.set('Cache-Control', 'no-cache');
  next();
});

const sendIndex = (req, res) => {
  res.set('Content-Security-Policy', csp);
  res.sendFile(publicFile('index.html'));
};
// The redirect URI is `${BASE_URL}/`: the page itself handles ?code=&state= (and ?signed-out).
spa.get('/', sendIndex);
spa.get('/index.html', sendIndex);
spa.get('/app.js', (req, res) => res.sendFile(publicFile('app.js')));
spa.get('/style.css', (req, res) => res.sendFile(publicFile('style.css')));
spa.get('/vendor/oidc-client-ts.min.js', (req, res) => res.sendFile(vendorFile));
// Configuration as JSON, so that the page needs no inline script.
spa.get('/config.json', (req, res) => res.json({ issuer, clientId, apiUrl, apiIdentifier, apiScope }));
spa.use((req, res) => res.status(404).type('text').send('Not found'));

const api = createApi({ issuer, audience: apiIdentifier, scope: apiScope, allowedOrigin: spaOrigin });

function listen(app, listenPort, listenHost, url) {
  return new Promise((resolve, reject) => {
    const server = app.listen(listenPort, listenHost, (err) => {
      if (err) return reject(err);
      console.log(`listening on ${url}`);
      resolve(server);
    });
  });
}

let servers = [];
try {
  servers.push(await listen(spa, port, host, baseUrl));
  servers.push(await listen(api, apiPort, apiHost, apiUrl));
} catch (err) {
  fail(`cannot listen: ${err.message}`);
}

function shutdown() {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  servers = [];
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
