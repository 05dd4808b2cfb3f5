// Example app 1: a server-rendered Express app that signs people in with Gatehouse through express-openid-connect,
// as a confidential client (authorization code + PKCE, client_secret_basic) with RP-Initiated and Back-Channel Logout.
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import oidc from 'express-openid-connect';
import { decodeProtectedHeader } from 'jose';
import { ConfigError, loadConfig } from './config.js';
import { errorPage, homePage, signedOutPage } from './pages.js';

const { auth, requiresAuth } = oidc;

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const app = express();
app.disable('x-powered-by');

// No inline scripts or styles anywhere, so the strictest policy fits. Redirects to Gatehouse are navigations,
// which CSP does not restrict.
app.use((req, res, next) => {
  res.set({
    'Content-Security-Policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  next();
});

// Ahead of the library's receiver: log its answer (never the token), and insist on the explicit `logout+jwt` type
// Gatehouse puts in the header (Back-Channel Logout 1.0 §2.4, RFC 8725 §3.11) so that no other JWT signed with the
// same key for this audience, such as an ID token, is ever taken for a logout token. The library checks the rest
// (§2.6): signature against the issuer's JWKS, iss, aud, the events claim, sid or sub, and no nonce.
app.post(
  '/backchannel-logout',
  (req, res, next) => {
    res.on('finish', () => {
      console.log(`back-channel logout: ${res.statusCode < 300 ? 'accepted' : `rejected (${res.statusCode})`}`);
    });
    next();
  },
  express.urlencoded({ extended: false, limit: '16kb' }),
  (req, res, next) => {
    if (headerType(req.body?.logout_token) === 'logout+jwt') return next();
    res.set('Cache-Control', 'no-store').status(400).json({ error: 'invalid_request' });
  },
);

function headerType(token) {
  try {
    return decodeProtectedHeader(String(token)).typ;
  } catch {
    return undefined;
  }
}

app.use(
  auth({
    issuerBaseURL: config.issuer,
    baseURL: config.baseUrl,
    clientID: config.clientId,
    clientSecret: config.clientSecret,
    // Encrypts the session cookie (HttpOnly, SameSite=Lax), which carries the tokens: nothing is kept server-side.
    secret: config.sessionSecret,
    authRequired: false,
    // GET /logout ends the local session and then the one at Gatehouse (RP-Initiated Logout 1.0).
    idpLogout: true,
    authorizationParams: { response_type: 'code', scope: 'openid email profile' },
    routes: {
      // Our own /logout below, to send a fresh `state` with each logout request.
      logout: false,
      postLogoutRedirect: '/signed-out',
      backchannelLogout: '/backchannel-logout',
    },
    // Sessions live in cookies, so a back-channel request cannot delete one. Instead the library records the
    // signed-out sid and sub in an express-session-compatible store and refuses any session that matches on its
    // next request. MemoryStore is per process: run several processes and they need a shared store (e.g. Redis).
    backchannelLogout: { store: new session.MemoryStore() },
    // An Auth0 usage header: Gatehouse has no use for it.
    enableTelemetry: false,
    // express-openid-connect 3.4 checks the ID token's claims but not its signature: it came straight from the
    // token endpoint over TLS, which OIDC Core §3.1.3.7 allows in place of a signature check.
    afterCallback: (req, res, newSession) => {
      console.log(`signed in: ${req.oidc.user.sub}`);
      return newSession;
    },
  }),
);

app.get('/', requiresAuth(), (req, res) => {
  res.set('Cache-Control', 'no-store').type('html').send(homePage(req.oidc.user));
});

// `state` comes back on the post-logout redirect (RP-Initiated Logout 1.0 §2, §3); this app has nothing to carry
// across, so it is only an unguessable value.
app.get('/logout', (req, res) => res.oidc.logout({ logoutParams: { state: randomBytes(16).toString('base64url') } }));

app.get('/signed-out', (req, res) => {
  res.type('html').send(signedOutPage());
});

// Express 5 passes rejected promises here too, e.g. a failed discovery or a callback whose state does not match.
app.use((error, req, res, next) => {
  if (res.headersSent) return next(error);
  const status = Number.isInteger(error.status) && error.status >= 400 && error.status < 600 ? error.status : 500;
  console.error(`error: ${status} ${error.message}`);
  const message = status < 500 ? error.message : 'Gatehouse could not be reached or answered unexpectedly.';
  res.status(status).set('Cache-Control', 'no-store').type('html').send(errorPage(status, message));
});

const server = app.listen(config.port, config.host, (error) => {
  if (error) {
    console.error(`cannot listen on ${config.host}:${config.port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`listening on ${config.baseUrl}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
