// A small imitation of GitHub's OAuth 2 app endpoints for the federation tests (issue 23), on a loopback address
// of its own (http://127.0.0.3:<port>, or 127.0.0.1 where 127.0.0.3 cannot be bound): what Gatehouse's OAuth 2
// relying party (src/federation/oauth2-upstream.ts) meets at github.com, quirks included:
//   GET  /login/oauth/authorize     checks client_id and redirect_uri, keeps the PKCE challenge, and redirects back
//                                   with `code` and `state` for the current user (or `error=access_denied` when told);
//   POST /login/oauth/access_token  client_secret_basic or _post; checks the code, redirect_uri and code_verifier
//                                   (S256); answers JSON only to `Accept: application/json`, else a form-encoded body,
//                                   and answers a bad code with 200 and `{"error":"bad_verification_code"}` as GitHub does;
//   GET  /user                      Bearer token → { id (a number), login, name, email }.
// The test can slow it (`delayMs`), take it down (`stop`), and answer a path its own way (`override`).
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll } from 'vitest';

/**
 * Listens on a loopback address of the upstream's own (127.0.0.2, 127.0.0.3: a URL mix-up with Gatehouse on
 * 127.0.0.1 cannot pass), else on 127.0.0.1 where that address cannot be bound.
 */
export async function listenOnLoopback(server: http.Server, preferred: string): Promise<string> {
  for (const host of [preferred, '127.0.0.1']) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(0, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      return host;
    } catch {
      // EADDRNOTAVAIL where only 127.0.0.1 is configured: try the next.
    }
  }
  throw new Error(`cannot listen on ${preferred} or 127.0.0.1`);
}

export interface FakeGitHubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  /** Any other field of GET /user. */
  [field: string]: unknown;
}

export interface FakeGitHubOptions {
  clientId: string;
  clientSecret: string;
  /** The one registered callback URL. */
  redirectUri: string;
  /** Who signs in at the authorize endpoint. */
  user: FakeGitHubUser;
  delayMs?: number;
}

export interface FakeGitHub {
  /** http://127.0.0.3:PORT */
  url: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  /** Mutable: who the authorize endpoint signs in. */
  user: FakeGitHubUser;
  /** Mutable: the authorize endpoint answers `error=<this>` instead of a code (e.g. 'access_denied'). */
  denyWith: string | null;
  delayMs: number;
  /** Mutable: answers a request before the routes (return true when answered). */
  override: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | null;
  /** What the token endpoint saw, last request first (no secrets: whether each check passed). */
  tokenRequests: { accept: string | null; clientAuth: 'basic' | 'post' | 'none'; ok: boolean }[];
  stop(): Promise<void>;
  /** Listens again on the same address and port. */
  restart(): Promise<void>;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  user: FakeGitHubUser;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * Starts the fake GitHub, and stops it after the enclosing describe block (or file). Call it where vitest collects
 * (a describe body or the file's top level) and await the promise in the tests.
 */
export function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const started = launchFakeGitHub(options);
  afterAll(async () => {
    const github = await started.catch(() => undefined);
    await github?.stop();
  });
  return started;
}

async function launchFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, FakeGitHubUser>();
  const app = express();
  const state = {
    url: '',
    authorizationUrl: '',
    tokenUrl: '',
    userinfoUrl: '',
    user: options.user,
    denyWith: null,
    delayMs: options.delayMs ?? 0,
    override: null,
    tokenRequests: [],
    stop: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async () => {
      const { port, hostname } = new URL(state.url);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(port), hostname, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
  } as FakeGitHub;

  app.use((req, res, next) => {
    const go = () => {
      if (state.override?.(req, res)) return;
      next();
    };
    if (state.delayMs > 0) setTimeout(go, state.delayMs);
    else go();
  });
  app.use(express.urlencoded({ extended: false }));

  app.get('/login/oauth/authorize', (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    if (query.client_id !== options.clientId || query.redirect_uri !== options.redirectUri) {
      res.status(400).type('text/plain').send('The redirect_uri is not associated with this application.');
      return;
    }
    const back = new URL(options.redirectUri);
    if (query.state !== undefined) back.searchParams.set('state', query.state);
    if (state.denyWith) {
      back.searchParams.set('error', state.denyWith);
      back.searchParams.set('error_description', 'The user has denied your application access.');
      res.redirect(302, back.href);
      return;
    }
    if (query.code_challenge !== undefined && query.code_challenge_method !== 'S256') {
      res.status(400).type('text/plain').send('code_challenge_method must be S256');
      return;
    }
    const code = randomBytes(10).toString('hex');
    codes.set(code, { clientId: options.clientId, redirectUri: options.redirectUri, codeChallenge: query.code_challenge ?? null, user: state.user });
    back.searchParams.set('code', code);
    res.redirect(302, back.href);
  });

  app.post('/login/oauth/access_token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    let clientId = body.client_id;
    let clientSecret = body.client_secret;
    let clientAuth: 'basic' | 'post' | 'none' = clientSecret ? 'post' : 'none';
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, at));
      clientSecret = decodeURIComponent(decoded.slice(at + 1));
      clientAuth = 'basic';
    }
    const issued = body.code ? codes.get(body.code) : undefined;
    if (body.code) codes.delete(body.code);
    let answer: Record<string, string>;
    if (clientId !== options.clientId || clientSecret !== options.clientSecret) {
      answer = { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' };
    } else if (!issued || issued.redirectUri !== body.redirect_uri || (issued.codeChallenge !== null && (!body.code_verifier || s256(body.code_verifier) !== issued.codeChallenge))) {
      answer = { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' };
    } else {
      const token = `gho_${randomBytes(18).toString('hex')}`;
      tokens.set(token, issued.user);
      answer = { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' };
    }
    const accept = req.headers.accept ?? null;
    state.tokenRequests.unshift({ accept, clientAuth, ok: 'access_token' in answer });
    // GitHub: 200 whatever the outcome; JSON only when asked for.
    if (accept?.includes('application/json')) res.status(200).json(answer);
    else res.status(200).type('application/x-www-form-urlencoded').send(new URLSearchParams(answer).toString());
  });

  app.get('/user', (req, res) => {
    const authorization = req.headers.authorization ?? '';
    const user = /^(?:Bearer|token) (.+)$/i.exec(authorization)?.[1];
    const found = user ? tokens.get(user) : undefined;
    if (!found) {
      res.status(401).json({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    res.json(found);
  });

  const server = createServer(app);
  const host = await listenOnLoopback(server, '127.0.0.3');
  state.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  state.authorizationUrl = `${state.url}/login/oauth/authorize`;
  state.tokenUrl = `${state.url}/login/oauth/access_token`;
  state.userinfoUrl = `${state.url}/user`;
  return state;
}

/** Follows the fake GitHub's authorize redirect (GitHub's consent is implicit here) and returns the callback URL. */
export async function completeGitHubSignIn(authorizationUrl: string): Promise<URL> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  await response.arrayBuffer();
  if (response.status !== 302 || !location) throw new Error(`the fake GitHub answered ${response.status}`);
  return new URL(location);
}
