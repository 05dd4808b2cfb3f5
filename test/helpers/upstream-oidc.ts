// An upstream OpenID Connect provider for the federation tests (issue 23): panva's oidc-provider (v9), in this
// process, on a loopback address of its own (http://127.0.0.2:<port>, or 127.0.0.1 where 127.0.0.2 cannot be
// bound), so Gatehouse's relying-party side (src/federation/oidc-upstream.ts) talks to a real, certified provider
// over real HTTP. Its accounts are given by the test (claims, and the `amr` its ID token carries); its interaction
// is a one-field form ("which account") that also grants every requested scope, so `completeUpstreamSignIn` can
// walk it with plain HTTP and no browser. The test can slow it down (`delayMs`), take it down and up again
// (`stop`/`restart`, same address), rotate its signing key (`rotateKeys`), and answer a path its own way
// (`override`, e.g. an oversized body).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, type JWK } from 'oidc-provider';
import { afterAll } from 'vitest';
import { listenOnLoopback } from './fake-github.js';

/** What an account's ID token and userinfo say (the standard claims, plus `groups` and the ID token's `amr`). */
export interface UpstreamAccount {
  email?: string;
  /** Usually a boolean; any JSON value to test that only `true` counts. */
  email_verified?: unknown;
  name?: string;
  /** Usually an array of names or one name; any JSON value to test the mapping. */
  groups?: unknown;
  /** RFC 8176 methods the sign-in reports (`['pwd', 'mfa']`); absent: no `amr` claim. */
  amr?: string[];
  /** Any other claim, released with the `profile` scope. */
  [claim: string]: unknown;
}

export interface UpstreamClientRegistration {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface UpstreamOidcOptions {
  clients: UpstreamClientRegistration[];
  /** Account id (the ID token's `sub`) → claims. */
  accounts: Record<string, UpstreamAccount>;
  /** Every response is held this long first (the slow-upstream tests). */
  delayMs?: number;
  /** Whether discovery says `authorization_response_iss_parameter_supported` (RFC 9207; oidc-provider's default: true). */
  issParameter?: boolean;
  /**
   * true (default): the granted scopes' claims are in the ID token too; false: the ID token has only `sub` (and
   * `amr`), the rest only at the userinfo endpoint (OIDC Core §5.4, as oidc-provider's conformIdTokenClaims does).
   */
  claimsInIdToken?: boolean;
}

/** Answers a request instead of oidc-provider; returns false to let it through. */
export type UpstreamOverride = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export interface UpstreamOidc {
  /** http://127.0.0.2:PORT (no trailing slash), the issuer identifier. */
  issuer: string;
  /** Mutable: account id → claims. */
  accounts: Record<string, UpstreamAccount>;
  /** Mutable: delay of every response. */
  delayMs: number;
  /** Mutable: answers requests before oidc-provider (null: none). */
  override: UpstreamOverride | null;
  /** Requests received, by path (discovery, jwks, token…), for "was it refetched" checks. */
  requests: string[];
  /** The current signing key's `kid`. */
  kid(): string;
  /** Closes the listener and every connection: the upstream is down. */
  stop(): Promise<void>;
  /** Listens again on the same address and port. */
  restart(): Promise<void>;
  /** A new signing key (new `kid`) replaces the old one; the JWKS publishes only the new key. */
  rotateKeys(): Promise<void>;
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, alg: 'RS256', use: 'sig' } as JWK;
}

const SCOPES = ['openid', 'email', 'profile', 'groups'];

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const STANDARD = new Set(['sub', 'email', 'email_verified', 'name', 'groups', 'amr']);

function extraClaims(accounts: Record<string, UpstreamAccount>): string[] {
  return [...new Set(Object.values(accounts).flatMap((account) => Object.keys(account)))].filter((claim) => !STANDARD.has(claim));
}

function providerFor(issuer: string, options: UpstreamOidcOptions, accounts: Record<string, UpstreamAccount>, key: JWK, cookieKey: string): Provider {
  const configuration: Configuration = {
    clients: options.clients.map((client) => ({
      ...client,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    })),
    jwks: { keys: [key] },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: SCOPES,
    // `amr` must be a known claim for oidc-provider to put the sign-in's methods in the ID token; every other
    // claim the accounts have is released with `profile`.
    claims: { amr: null, openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name', ...extraClaims(accounts)], groups: ['groups'] },
    // The granted scopes' claims in the ID token too (as Gatehouse's mapping reads them there first).
    conformIdTokenClaims: options.claimsInIdToken === false,
    findAccount: (_ctx, sub) => {
      const account = accounts[sub];
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => {
          const { amr: _amr, ...claims } = account;
          return { ...claims, sub };
        },
      };
    },
    cookies: { keys: [cookieKey] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Grant: 600, Session: 600, Interaction: 600 },
  };
  const provider = new Provider(issuer, configuration);
  if (options.issParameter === false) {
    // Not advertised: the upstream may still send `iss`; Gatehouse must check it whenever present.
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
        delete (ctx.body as Record<string, unknown>).authorization_response_iss_parameter_supported;
      }
    });
  }
  return provider;
}

/**
 * Starts the upstream, and stops it after the enclosing describe block (or file). Call it where vitest collects
 * (a describe body or the file's top level, not inside a hook or test) and await the promise in the tests:
 *   const upstream = startUpstreamOidc({ clients: [...], accounts: {...} });
 *   it('…', async () => { const { issuer } = await upstream; … });
 */
export function startUpstreamOidc(options: UpstreamOidcOptions): Promise<UpstreamOidc> {
  const started = launchUpstreamOidc(options);
  afterAll(async () => {
    const upstream = await started.catch(() => undefined);
    await upstream?.stop();
  });
  return started;
}

async function launchUpstreamOidc(options: UpstreamOidcOptions): Promise<UpstreamOidc> {
  const accounts = options.accounts;
  const cookieKey = randomBytes(32).toString('base64url');
  let key = await signingKey();
  let provider: Provider | undefined;
  let handle: ReturnType<Provider['callback']> | undefined;

  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse, uid: string): Promise<void> => {
    const live = provider as Provider;
    const details = await live.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'GET') {
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><title>Upstream sign-in</title><form method="post" action="/interaction/${escapeHtml(uid)}">` +
          `<label>Account <input name="account" value="${escapeHtml(hint)}"></label><button>Sign in</button></form>`,
      );
      return;
    }
    const form = await readForm(req);
    if (form.get('deny')) {
      await live.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person <b>declined</b>.' }, { mergeWithLastSubmission: false });
      return;
    }
    const accountId = form.get('account') ?? '';
    const account = accounts[accountId];
    if (!account) {
      res.statusCode = 400;
      res.end('unknown account');
      return;
    }
    const grant = new live.Grant({ accountId, clientId: String(details.params.client_id) });
    const requested = typeof details.params.scope === 'string' ? details.params.scope.split(' ').filter((s) => SCOPES.includes(s)) : [];
    grant.addOIDCScope(requested.join(' '));
    const promptDetails = details.prompt.details as { missingOIDCClaims?: string[] };
    if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
    const grantId = await grant.save();
    await live.interactionFinished(req, res, { login: { accountId, ...(account.amr ? { amr: account.amr } : {}) }, consent: { grantId } }, { mergeWithLastSubmission: false });
  };

  const state: UpstreamOidc = {
    issuer: '',
    accounts,
    delayMs: options.delayMs ?? 0,
    override: null,
    requests: [],
    kid: () => String(key.kid),
    stop: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async () => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    rotateKeys: async () => {
      key = await signingKey();
      provider = providerFor(state.issuer, options, accounts, key, cookieKey);
      handle = provider.callback();
    },
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    state.requests.push(path);
    const answer = () => {
      if (state.override?.(req, res)) return;
      const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(path);
      if (match) {
        interaction(req, res, match[1] ?? '').catch(() => {
          if (!res.headersSent) res.statusCode = 400;
          res.end('interaction failed');
        });
        return;
      }
      void handle?.(req, res);
    };
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
  const host = await listenOnLoopback(server, '127.0.0.2');
  const port = (server.address() as AddressInfo).port;
  state.issuer = `http://${host}:${port}`;
  provider = providerFor(state.issuer, options, accounts, key, cookieKey);
  handle = provider.callback();

  return state;
}

/** A minimal cookie jar: name=value per origin, as a browser would send them back (paths ignored: one site). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (!pair || at < 1) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Walks an upstream authorization URL (from UpstreamClient.beginSignIn) as a browser would, with HTTP only:
 * follows the upstream's redirects, signs in as `accountId` on its interaction form (which also grants the
 * requested scopes), or declines (`deny`: the upstream answers `error=access_denied`), and returns the URL the
 * upstream finally redirects to (the callback, with `code`, `state` and `iss`, or an `error`), without following it.
 */
export async function completeUpstreamSignIn(authorizationUrl: string, accountId: string, options: { deny?: boolean } = {}): Promise<URL> {
  const jar = new CookieJar();
  const origin = new URL(authorizationUrl).origin;
  let url = new URL(authorizationUrl);
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < 10; step += 1) {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next;
      init = { method: 'GET' };
      continue;
    }
    const body = await response.text();
    const form = /<form method="post" action="([^"]+)"/.exec(body);
    if (response.status !== 200 || !form?.[1]) throw new Error(`the upstream answered ${response.status} at ${url.pathname}: ${body.slice(0, 300)}`);
    url = new URL(
      form[1].replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))),
      url,
    );
    const fields: Record<string, string> = options.deny ? { deny: '1' } : { account: accountId };
    init = { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many redirects at the upstream');
}
