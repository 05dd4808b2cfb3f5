// Example app 2: a server-rendered Express app signing people in with Gatehouse through openid-client's
// functional API: authorization code flow with PKCE (RFC 7636), tokens kept server-side in the session,
// refresh, RP-Initiated Logout 1.0 and Back-Channel Logout 1.0.
import express from 'express';
import session from 'express-session';
import { backchannelLogout } from './backchannel-logout.js';
import { loadConfig } from './config.js';
import { createOidc } from './oidc.js';
import { errorPage } from './pages.js';
import { appRoutes } from './routes.js';
import { SessionIndex } from './session-index.js';

const config = loadConfig();
const oidc = createOidc(config);
const sessionIndex = new SessionIndex();
const COOKIE_NAME = 'example2.sid';
// MemoryStore keeps one process's sessions in memory: fine for an example, not for production, where a
// shared store (Redis, a database) lets every instance see, and back-channel logout end, every session.
const store = new session.MemoryStore();
// Lax, not Strict: the browser must send the cookie on the top-level redirect back from Gatehouse.
const cookieOptions = { httpOnly: true, sameSite: 'lax', secure: config.secureCookies };

const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  res.set({
    'Content-Security-Policy': "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  next();
});

// Gatehouse calls this server to server, with no cookie: it comes before the session middleware.
app.use(backchannelLogout({ oidc, sessionIndex, store }));

app.use(
  session({
    name: COOKIE_NAME,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { ...cookieOptions, maxAge: 8 * 60 * 60 * 1000 },
  }),
);

app.use(appRoutes({ config, oidc, sessionIndex, cookie: { name: COOKIE_NAME, options: cookieOptions } }));

app.use((err, req, res, next) => {
  if (res.headersSent) return next(err);
  const status = err.expose && err.status >= 400 && err.status < 500 ? err.status : 500;
  // Only a one-line name and message: never a stack, a token or a request body.
  process.stderr.write(`error: ${err.name}: ${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}\n`);
  const message = err.expose ? err.message : 'The request could not be completed. Gatehouse may be unreachable; please try again.';
  res.status(status).type('html').send(errorPage(status, message));
});

const server = app.listen(config.port, config.host, (err) => {
  if (err) {
    process.stderr.write(`cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  }
  console.log(`listening on ${config.baseUrl}`);
});

function shutdown() {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
