// Gatehouse as a relying party of an upstream OpenID Connect provider (issue 23), with panva's openid-client v6
// (certified RP): the authorization code flow with PKCE S256, `state` and `nonce`, client_secret_basic, and the
// ID token checked in full — OIDC Core §3.1.3.7: iss, aud, azp, exp, iat, nonce by openid-client, and its
// signature against the upstream's JWKS (enableNonRepudiationChecks: the code flow lets a client skip the
// signature over TLS, Gatehouse does not).
//
// Discovery is fetched once an hour per client (src/federation/upstreams.ts makes one client per provider row
// and `updatedAt`). The JWKS is kept between sign-ins (openid-client refetches it after 5 minutes); an ID token
// naming a `kid` that is not in the kept JWKS makes this sign-in fetch the JWKS again, so a key rotated at the
// upstream works at once (OIDC Core §10.1.1) while a known key costs no request.
import * as oidc from 'openid-client';
import { UpstreamSignInFailed } from '../errors.js';
import type { UpstreamAuthorization } from './federation.js';
import { claimAt, type ClaimMapping, type OidcSettings } from './provider-settings.js';
import { checkCallback, checkUpstreamUrl, mismatch, needsInsecureRequests, unavailable, upstreamFailure, upstreamFetch, type UpstreamFetch } from './upstream-fetch.js';

/** Discovery documents are trusted this long (then fetched again at the next sign-in). */
export const DISCOVERY_TTL_MS = 60 * 60 * 1000;

/** What a kind-specific client hands back: the claims to map, and the upstream's own `amr`. */
export interface UpstreamAnswer {
  claims: Record<string, unknown>;
  amr: string[];
}

export interface KindClient {
  beginSignIn(redirectUri: string, options?: { loginHint?: string }): Promise<UpstreamAuthorization>;
  finishSignIn(callbackUrl: URL, expected: Pick<UpstreamAuthorization, 'state' | 'nonce' | 'codeVerifier'>, redirectUri: string): Promise<UpstreamAnswer>;
}

export interface KindClientOptions {
  /** The provider's display name, for messages. */
  name: string;
  timeoutMs: number;
  /** The client secret, opened from the secret box. */
  secret: string;
}

/**
 * openid-client's own `timeout` (whole seconds): a backstop a second beyond ours. The bound that counts is
 * upstreamFetch's, to the millisecond, on each request and its body.
 */
export function backstopSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 1;
}

/** The callback URL as openid-client must see it: our registered redirect URI with the callback's query. */
export function callbackAt(redirectUri: string, callbackUrl: URL): URL {
  const current = new URL(redirectUri);
  current.search = callbackUrl.search;
  current.hash = '';
  return current;
}

/** The `kid` of a compact JWS's header, or undefined. */
function kidOf(jwt: unknown): string | undefined {
  if (typeof jwt !== 'string') return undefined;
  try {
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Only the strings of an array (an `amr` claim), else []. */
export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

export function createOidcUpstream(settings: OidcSettings, options: KindClientOptions): KindClient {
  const { name, timeoutMs, secret } = options;
  const issuer = checkUpstreamUrl(settings.issuer, name);
  const insecure = needsInsecureRequests(issuer);
  const baseFetch = upstreamFetch({ timeoutMs });
  let discovered: { metadata: oidc.ServerMetadata; at: number } | null = null;
  let pending: Promise<oidc.ServerMetadata> | null = null;
  let jwksCache: oidc.ExportedJWKSCache | undefined;

  const discover = async (): Promise<oidc.ServerMetadata> => {
    if (discovered && Date.now() - discovered.at < DISCOVERY_TTL_MS) return discovered.metadata;
    // One discovery request at a time per client, whoever asks.
    pending ??= oidc
      .discovery(issuer, settings.clientId, undefined, oidc.ClientSecretBasic(secret), {
        // Plain http only ever on a loopback host (checkUpstreamUrl, and upstreamFetch on every request).
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to stand out; see above
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        [oidc.customFetch]: baseFetch,
        timeout: backstopSeconds(timeoutMs),
      })
      .then((config) => {
        // A plain JSON copy: serverMetadata() carries helper functions a Configuration cannot clone.
        const metadata = JSON.parse(JSON.stringify(config.serverMetadata())) as oidc.ServerMetadata;
        for (const endpoint of ['authorization_endpoint', 'token_endpoint'] as const) {
          if (typeof metadata[endpoint] !== 'string')
            throw new UpstreamSignInFailed(unavailable(name), `discovery names no ${endpoint}`).shown('federation.upstream.unavailable', { provider: name });
          checkUpstreamUrl(metadata[endpoint], name);
        }
        discovered = { metadata, at: Date.now() };
        jwksCache = undefined;
        return metadata;
      })
      .catch((error: unknown) => {
        throw upstreamFailure(name, 'discovery', error);
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };

  /** A Configuration of its own per call, from the cached metadata, so the JWKS cache is ours to decide. */
  const configure = (metadata: oidc.ServerMetadata, fetcher: UpstreamFetch): oidc.Configuration => {
    const config = new oidc.Configuration(metadata, settings.clientId, undefined, oidc.ClientSecretBasic(secret));
    config.timeout = backstopSeconds(timeoutMs);
    config[oidc.customFetch] = fetcher;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback http only (see discover)
    if (insecure) oidc.allowInsecureRequests(config);
    oidc.enableNonRepudiationChecks(config);
    return config;
  };

  return {
    async beginSignIn(redirectUri, signInOptions) {
      const metadata = await discover();
      const config = configure(metadata, baseFetch);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const parameters: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: [...new Set(['openid', ...settings.scopes])].join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      };
      if (signInOptions?.loginHint) parameters.login_hint = signInOptions.loginHint;
      const url = oidc.buildAuthorizationUrl(config, parameters);
      return { url: url.href, state, nonce, codeVerifier };
    },

    async finishSignIn(callbackUrl, expected, redirectUri) {
      const metadata = await discover();
      checkCallback(name, callbackUrl.searchParams, expected.state, metadata.issuer, metadata.authorization_response_iss_parameter_supported === true);
      if (!expected.nonce) throw new UpstreamSignInFailed(mismatch(name), 'no nonce kept for an OpenID Connect sign-in', 400).shown('federation.upstream.mismatch', { provider: name });
      const tokenEndpoint = new URL(String(metadata.token_endpoint)).href;
      const known = new Set((jwksCache?.jwks.keys ?? []).map((key) => key.kid));
      // Watches the token endpoint's answer: an ID token signed with a key the kept JWKS does not have → this
      // sign-in fetches the JWKS again (the kept one stays until then, for every other sign-in).
      const fetcher: UpstreamFetch = async (url, init) => {
        const response = await baseFetch(url, init);
        if (response.ok && jwksCache && new URL(url).href === tokenEndpoint) {
          const body = (await response
            .clone()
            .json()
            .catch(() => ({}))) as { id_token?: unknown };
          const kid = kidOf(body.id_token);
          if (kid === undefined || !known.has(kid)) oidc.setJwksCache(config, {} as oidc.ExportedJWKSCache);
        }
        return response;
      };
      const config = configure(metadata, fetcher);
      if (jwksCache) oidc.setJwksCache(config, jwksCache);
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackAt(redirectUri, callbackUrl), {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        throw upstreamFailure(name, 'token request', error);
      }
      jwksCache = oidc.getJwksCache(config) ?? jwksCache;
      const idClaims = tokens.claims();
      if (!idClaims) throw new UpstreamSignInFailed(unavailable(name), 'no ID token in the token response').shown('federation.upstream.unavailable', { provider: name });
      const claims: Record<string, unknown> = { ...idClaims };
      if (metadata.userinfo_endpoint && missesClaims(claims, settings.claims)) {
        try {
          const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
          // The ID token's claims win; user-info fills what it lacks (OIDC Core §5.3.2: its `sub` was checked).
          for (const [claim, value] of Object.entries(userinfo)) if (!Object.hasOwn(claims, claim)) claims[claim] = value;
        } catch (error) {
          throw upstreamFailure(name, 'userinfo', error);
        }
      }
      return { claims, amr: stringsOf(idClaims.amr) };
    },
  };
}

/** Whether the mapping reads an email, name or groups the ID token does not carry (then user-info is asked). */
function missesClaims(claims: Record<string, unknown>, mapping: ClaimMapping): boolean {
  const paths = [mapping.email, mapping.name, mapping.groups].filter((path): path is string => path !== null);
  return paths.some((path) => claimAt(claims, path) === undefined);
}
