// A relying application built with express-openid-connect, as a customer would write one, listening on a
// loopback address of its own so that its cookies never mix with ours or another application's.
//
// Besides `/` (who is signed in), every app has `/tokens`, which refreshes an access token that has expired (or
// expires within a second) and asks our userinfo with the access token it then holds, `/claims`, the claims it
// received (ID token, access token, userinfo: e.g. `groups`), and `/signed-out`, its post-logout page. With
// options it signs out at the identity provider too (RP-Initiated Logout) and accepts Back-Channel Logout.
//
// express-openid-connect 3.4.0 does not check the signature of an ID token it receives from the token endpoint
// (openid-client 6 without enableNonRepudiationChecks, as OIDC Core §3.1.3.7 allows); it checks the signatures of
// logout tokens only. So the app checks every ID token it receives itself, as an application passing its tokens
// on would: with jose's remote key set, the verifier the library uses for logout tokens, which keeps a copy of
// our JWKS and downloads it again for an unknown kid only 30 s after the last download.
//
// The app records what a test needs to see from outside: every request to the identity provider (by the library
// or by the app's own code), every back-channel delivery it answered, every sign-in and refresh, and every error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request as ExpressRequest, type Response } from 'express';
import { auth, requiresAuth } from 'express-openid-connect';
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

export const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout';
export const SIGNED_OUT_PATH = '/signed-out';

export interface RelyingAppOptions {
  /** Space-separated; 'openid email profile' by default. */
  scope?: string;
  /** `/logout` also ends the session at the identity provider and comes back to `/signed-out`. */
  idpLogout?: boolean;
  /** Extra parameters of the end-session request, e.g. `state`. */
  logoutParams?: Record<string, string>;
  /** Accepts logout tokens at `/backchannel-logout`; signed-out people are remembered in memory. */
  backchannelLogout?: boolean;
}

export interface OutgoingRequest {
  at: number;
  /** express-openid-connect (its openid-client and jose), or the app's own code (userinfo, ID token checks). */
  by: 'library' | 'app';
  method: string;
  url: string;
  status: number | null;
}

export interface BackchannelDelivery {
  at: number;
  /** What the library answered: 204 for a logout token whose signature and claims it accepted. */
  status: number;
  /** The key that signed the logout token. */
  kid: string | undefined;
}

/** A sign-in (a callback the library accepted) or a refresh. */
export interface TokenEvent {
  at: number;
  /** The `kid` of the ID token it brought, whose signature the app checked. */
  idTokenKid: string | undefined;
}

/** What `/tokens` answers. */
export interface TokensPage {
  /** This request refreshed the access token. */
  refreshed: boolean;
  /** Refreshes this app made so far. */
  refreshes: number;
  /** Our userinfo's answer to the access token the app holds now. */
  userinfo: { status: number; sub?: string; email?: string; error?: string };
  idTokenKid: string | undefined;
  accessTokenExpiresIn: number | undefined;
}

/** What `/claims` answers: the claims the app received for the person signed in, from each of our three sources. */
export interface ClaimsPage {
  /** The ID token's claims, as the library keeps them. */
  idToken: Record<string, unknown>;
  /** The access token's claims (a JWT, RFC 9068), read without checking: the app only passes it on. */
  accessToken: Record<string, unknown>;
  /** Our userinfo's answer to that access token. */
  userinfo: { status: number; claims: Record<string, unknown> };
}

export interface RelyingApp {
  baseUrl: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  backchannelLogoutUri: string;
  /** Every request to the identity provider, in order. */
  outgoing: OutgoingRequest[];
  backchannelDeliveries: BackchannelDelivery[];
  signIns: TokenEvent[];
  refreshes: TokenEvent[];
  /** Every error that reached the app (a failed callback, refresh or signature check), as `METHOD path: message`. */
  errors: string[];
  stop(): Promise<void>;
}

type AuthConfig = NonNullable<Parameters<typeof auth>[0]>;
type LogoutStore = NonNullable<Exclude<NonNullable<AuthConfig['backchannelLogout']>, boolean>['store']>;
/** What the library stores per signed-out `sid` and `sub`: only `cookie.expires` matters. */
type LogoutEntry = Parameters<LogoutStore['set']>[1];

/** The smallest express-session-compatible store: get, set and destroy with callbacks; entries expire. */
class MemoryStore {
  private readonly entries = new Map<string, LogoutEntry>();

  get(key: string, callback: (error: unknown, entry?: LogoutEntry | null) => void): void {
    const entry = this.entries.get(key);
    if (entry && entry.cookie.expires <= Date.now()) this.entries.delete(key);
    callback(null, this.entries.get(key) ?? null);
  }

  set(key: string, entry: LogoutEntry, callback?: (error?: unknown) => void): void {
    this.entries.set(key, entry);
    callback?.();
  }

  destroy(key: string, callback?: (error?: unknown) => void): void {
    this.entries.delete(key);
    callback?.();
  }
}

/** Reserves a port on `host` so the redirect URI can be registered before the app is configured. */
export async function reserve(host: string): Promise<{ server: http.Server; baseUrl: string }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, baseUrl: `http://${host}:${(server.address() as AddressInfo).port}` };
}

export function startRelyingApp(reserved: { server: http.Server; baseUrl: string }, issuer: string, clientId: string, clientSecret: string, options: RelyingAppOptions = {}): RelyingApp {
  const outgoing: OutgoingRequest[] = [];
  const backchannelDeliveries: BackchannelDelivery[] = [];
  const signIns: TokenEvent[] = [];
  const refreshes: TokenEvent[] = [];
  const errors: string[] = [];

  /** A fetch that records each request, so that a test can count, say, JWKS downloads. */
  const recording =
    (by: OutgoingRequest['by']): typeof fetch =>
    async (input, init) => {
      const request = new Request(input, init);
      const entry: OutgoingRequest = { at: Date.now(), by, method: request.method, url: request.url, status: null };
      outgoing.push(entry);
      const response = await fetch(request);
      entry.status = response.status;
      return response;
    };
  const appFetch = recording('app');

  let metadata: Promise<{ userinfo_endpoint: string; jwks_uri: string }> | undefined;
  const discover = () => (metadata ??= appFetch(`${issuer}/.well-known/openid-configuration`).then((response) => response.json() as Promise<{ userinfo_endpoint: string; jwks_uri: string }>));
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** Checks an ID token's signature and claims with a cached copy of our JWKS. */
  async function checkIdToken(idToken: string | undefined): Promise<TokenEvent> {
    if (!idToken) throw new Error('no ID token');
    keySet ??= createRemoteJWKSet(new URL((await discover()).jwks_uri), { [customFetch]: appFetch });
    const { protectedHeader } = await jwtVerify(idToken, keySet, { issuer, audience: clientId, algorithms: ['RS256'] });
    return { at: Date.now(), idTokenKid: protectedHeader.kid };
  }

  const app = express();
  // Before auth(): a browser's icon request must not rewrite the session cookie while a refresh rewrites it too.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  if (options.backchannelLogout) {
    // Parsed here to note the token's kid; the library's own parser then leaves the body as it is.
    app.post(BACKCHANNEL_LOGOUT_PATH, express.urlencoded({ extended: false }), (req, res, next) => {
      const token = (req.body as { logout_token?: unknown } | undefined)?.logout_token;
      const kid = typeof token === 'string' ? decodeProtectedHeader(token).kid : undefined;
      res.on('finish', () => backchannelDeliveries.push({ at: Date.now(), status: res.statusCode, kid }));
      next();
    });
  }
  app.use(
    auth({
      issuerBaseURL: issuer,
      baseURL: reserved.baseUrl,
      clientID: clientId,
      clientSecret,
      secret: 'a-test-only-cookie-secret-of-enough-length-1234567890',
      authRequired: false,
      idpLogout: options.idpLogout ?? false,
      ...(options.logoutParams && { logoutParams: options.logoutParams }),
      routes: { postLogoutRedirect: SIGNED_OUT_PATH, backchannelLogout: BACKCHANNEL_LOGOUT_PATH },
      ...(options.backchannelLogout && { backchannelLogout: { store: new MemoryStore() } }),
      authorizationParams: { response_type: 'code', scope: options.scope ?? 'openid email profile' },
      customFetch: recording('library'),
      afterCallback: async (_req, _res, session) => {
        signIns.push(await checkIdToken(session.id_token));
        return session;
      },
    }),
  );
  app.get('/', requiresAuth(), (req, res) => {
    res.type('text/plain').send(`Hello ${String(req.oidc.user?.email)} (${String(req.oidc.user?.sub)})`);
  });
  app.get('/tokens', requiresAuth(), async (req, res) => {
    let accessToken = req.oidc.accessToken;
    if (!accessToken) throw new Error('the session holds no access token');
    // The library counts expiry in whole seconds from when it received the token, which can be up to a second
    // after we issued it: refreshing a second early never presents a token we consider expired.
    const refreshed = accessToken.isExpired() || accessToken.expires_in <= 1;
    if (refreshed) {
      accessToken = await accessToken.refresh();
      refreshes.push(await checkIdToken(req.oidc.idToken));
    }
    const answer = await appFetch((await discover()).userinfo_endpoint, { headers: { Authorization: `Bearer ${accessToken.access_token}` } });
    const claims = answer.ok ? ((await answer.json()) as { sub?: string; email?: string }) : {};
    const error = answer.headers.get('www-authenticate') ?? undefined;
    const page: TokensPage = {
      refreshed,
      refreshes: refreshes.length,
      userinfo: { status: answer.status, sub: claims.sub, email: claims.email, ...(error && { error }) },
      idTokenKid: (await checkIdToken(req.oidc.idToken)).idTokenKid,
      accessTokenExpiresIn: accessToken.expires_in,
    };
    res.set('Cache-Control', 'no-store').json(page);
  });
  app.get('/claims', requiresAuth(), async (req, res) => {
    const accessToken = req.oidc.accessToken;
    if (!accessToken) throw new Error('the session holds no access token');
    const answer = await appFetch((await discover()).userinfo_endpoint, { headers: { Authorization: `Bearer ${accessToken.access_token}` } });
    const page: ClaimsPage = {
      idToken: req.oidc.idTokenClaims ?? {},
      accessToken: decodeJwt(accessToken.access_token),
      userinfo: { status: answer.status, claims: answer.ok ? ((await answer.json()) as Record<string, unknown>) : {} },
    };
    res.set('Cache-Control', 'no-store').json(page);
  });
  app.get(SIGNED_OUT_PATH, (req, res) => {
    const state = typeof req.query.state === 'string' ? ` (state ${req.query.state})` : '';
    res.type('text/plain').send(`Signed out${state}`);
  });
  app.use((error: Error, req: ExpressRequest, res: Response, _next: NextFunction) => {
    errors.push(`${req.method} ${req.path}: ${error.message}`);
    res.status(500).type('text/plain').send(`Error: ${error.message}`);
  });
  reserved.server.on('request', app);
  return {
    baseUrl: reserved.baseUrl,
    redirectUri: `${reserved.baseUrl}/callback`,
    postLogoutRedirectUri: `${reserved.baseUrl}${SIGNED_OUT_PATH}`,
    backchannelLogoutUri: `${reserved.baseUrl}${BACKCHANNEL_LOGOUT_PATH}`,
    outgoing,
    backchannelDeliveries,
    signIns,
    refreshes,
    errors,
    stop: () =>
      new Promise<void>((resolve) => {
        reserved.server.closeAllConnections();
        reserved.server.close(() => resolve());
      }),
  };
}
