// The peer under benchmark: panva's oidc-provider (v9, Koa) configured as Gatehouse is, run as a child process
// (dist/bench/peer/oidc-provider-server.js). Everything comes from the environment:
//   PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USER_EMAIL, PASSWORD_HASH (argon2id PHC string),
//   SIGNING_JWK (private RSA-2048 JWK, JSON); optional USER_NAME, USER_ID, COOKIE_KEY (fixed across a restart
//   by bench/servers/oidc-provider.ts), PEER_SETUP (default or same-work, bench/peer/same-work.ts) and, for
//   same-work, PEER_DATABASE (sqlite:<file> or postgres:<url>).
// One RS256 key, one confidential client (client_secret_basic, PKCE S256 required), one account whose password
// is checked with argon2.verify, a refresh token on every code exchange rotated on every use, consent skipped for
// the client, and nothing logged per request. The default set-up stores in oidc-provider's in-memory adapter and
// issues opaque access tokens; same-work stores through a durable adapter and issues JWT access tokens. In both,
// the account itself stays in memory (findAccount), as the one bench user needs no store.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import argon2 from 'argon2';
import Provider, { type Account, type Configuration, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import { jwtAccessTokens, openPeerAdapter, peerSetup } from './same-work.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const port = Number(required('PORT'));
const issuer = required('ISSUER');
const clientId = required('CLIENT_ID');
const clientSecret = required('CLIENT_SECRET');
const redirectUri = required('REDIRECT_URI');
const userEmail = required('USER_EMAIL');
const passwordHash = required('PASSWORD_HASH');
const signingJwk = JSON.parse(required('SIGNING_JWK')) as JWK;
const userName = process.env.USER_NAME || 'Bench User';
const accountId = process.env.USER_ID || randomUUID();
const cookieKey = process.env.COOKIE_KEY || randomBytes(32).toString('base64url');
const setup = peerSetup(process.env.PEER_SETUP);
if (setup === 'default' && process.env.PEER_DATABASE) throw new Error('PEER_DATABASE is for PEER_SETUP=same-work; the default set-up stores in memory');
const durable = setup === 'same-work' ? await openPeerAdapter(required('PEER_DATABASE')) : null;

if (signingJwk.kty !== 'RSA' || typeof signingJwk.d !== 'string') throw new Error('SIGNING_JWK must be a private RSA JWK');

/** Gatehouse's scopes; the claims each releases are Gatehouse's too (OIDC Core §5.4). */
const SCOPES = ['openid', 'email', 'profile', 'offline_access'];
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Gatehouse refuses an email or password longer than this before any hashing; a form body is bounded above both. */
const MAX_CREDENTIAL_BYTES = 4096;
const MAX_FORM_BYTES = 2 * MAX_CREDENTIAL_BYTES + 1024;

const account: Account = {
  accountId,
  // oidc-provider releases only the claims of the granted scopes; email_verified is false, as for Gatehouse's bench user.
  claims: () => ({ sub: accountId, email: userEmail, email_verified: false, name: userName }),
};

const configuration: Configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [{ ...signingJwk, alg: 'RS256', use: 'sig' }] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  // v9 only requires PKCE of public clients by default; Gatehouse requires it of every client (S256 is v9's only method).
  pkce: { required: () => true },
  scopes: SCOPES,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Gatehouse puts the granted scopes' claims in the ID token as well as at userinfo.
  conformIdTokenClaims: false,
  findAccount: (_ctx, sub) => (sub === accountId ? account : undefined),
  // A refresh token on every code exchange (the client may refresh), a new one on every use, as Gatehouse does.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 10 * MINUTE,
    AuthorizationCode: MINUTE,
    IdToken: HOUR,
    RefreshToken: 30 * DAY,
    Grant: 30 * DAY,
    Session: 12 * HOUR,
    // Gatehouse keeps a pending authorization request for 30 minutes.
    Interaction: 30 * MINUTE,
  },
  cookies: { keys: [cookieKey] },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  clientBasedCORS: () => false,
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
    introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
    ...(setup === 'same-work' ? { resourceIndicators: jwtAccessTokens(SCOPES) } : {}),
  },
  ...(durable ? { adapter: durable.factory } : {}),
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => {
  process.stderr.write(`oidc-provider server_error: ${error.stack ?? error.message}\n`);
});

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function loginPage(res: http.ServerResponse, uid: string, email: string, error: string | null, status = 200): void {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  const alert = error ? `<p role="alert">${escapeHtml(error)}</p>\n` : '';
  send(
    res,
    status,
    'text/html; charset=utf-8',
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
${alert}<form method="post" action="${escapeHtml(action)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</body></html>
`,
  );
}

class BodyTooLarge extends Error {}

/** An application/x-www-form-urlencoded body, read by hand and bounded. */
async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_FORM_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Gatehouse's check: bounded input, always one argon2 verification, NFKC, the email compared case-insensitively. */
async function verifyCredentials(email: string, password: string): Promise<boolean> {
  if (Buffer.byteLength(email) > MAX_CREDENTIAL_BYTES || Buffer.byteLength(password) > MAX_CREDENTIAL_BYTES) return false;
  let matches: boolean;
  try {
    matches = await argon2.verify(passwordHash, password.normalize('NFKC'));
  } catch {
    matches = false;
  }
  return matches && email.trim().toLowerCase() === userEmail.toLowerCase();
}

/** The trusted client's consent: a grant of every requested (supported) scope, without a page. */
async function grantRequested(interaction: Awaited<ReturnType<Provider['interactionDetails']>>, forAccount: string): Promise<string> {
  const { params, prompt } = interaction;
  let grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  if (!grant || grant.accountId !== forAccount) grant = new provider.Grant({ accountId: forAccount, clientId: String(params.client_id) });
  const details = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const requested = typeof params.scope === 'string' ? params.scope.split(' ').filter((s) => SCOPES.includes(s)) : [];
  const scopes = new Set([...requested, ...(details.missingOIDCScope ?? [])]);
  if (scopes.size) grant.addOIDCScope(scopes);
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, resourceScopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, resourceScopes.join(' '));
  return grant.save();
}

async function interactionRoute(req: http.IncomingMessage, res: http.ServerResponse, uid: string): Promise<void> {
  let interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'This sign-in link has expired or was already used.\n');
    return;
  }
  if (interaction.uid !== uid) {
    send(res, 400, 'text/plain; charset=utf-8', 'This sign-in link does not match the pending sign-in.\n');
    return;
  }
  if (req.method === 'GET') {
    if (interaction.prompt.name === 'consent' && interaction.session) {
      const grantId = await grantRequested(interaction, interaction.session.accountId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    const hint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : '';
    loginPage(res, uid, hint, null);
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'GET, POST');
    send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    return;
  }
  if (
    !String(req.headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith('application/x-www-form-urlencoded')
  ) {
    send(res, 415, 'text/plain; charset=utf-8', 'Expected a form\n');
    return;
  }
  const form = await readForm(req);
  const email = form.get('email') ?? '';
  if (!(await verifyCredentials(email, form.get('password') ?? ''))) {
    loginPage(res, uid, email.length <= 254 ? email : '', 'Incorrect email or password.', 401);
    return;
  }
  // Signed in; the trusted client's consent is given at the same time, so no consent interaction follows.
  const grantId = await grantRequested(interaction, accountId);
  await provider.interactionFinished(req, res, { login: { accountId, amr: ['pwd'] }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

const handleProvider = provider.callback();
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)\/?$/;

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const match = INTERACTION.exec(path);
  if (!match) {
    void handleProvider(req, res);
    return;
  }
  interactionRoute(req, res, match[1] ?? '').catch((error: unknown) => {
    if (error instanceof BodyTooLarge) {
      if (!res.headersSent) send(res, 413, 'text/plain; charset=utf-8', 'Request body too large\n');
      req.resume();
      return;
    }
    process.stderr.write(`interaction error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n');
    else res.destroy();
  });
});
server.listen(port, '127.0.0.1');

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  // The durable adapter closes after the last request (SQLite checkpoints its WAL, the pool ends).
  server.close(() => {
    void (durable?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  server.closeIdleConnections();
  // Requests in flight get a moment; kept-alive sockets do not hold the exit.
  setTimeout(() => server.closeAllConnections(), 1000).unref();
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
