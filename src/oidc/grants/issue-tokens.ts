// What every grant for a person ends with: an access token (recorded by jti, or by its hash when opaque), an ID
// token when the grant has openid, and a refresh token when the client may refresh (RFC 6749 §5.1, OIDC Core
// §3.1.3.3, §12). A refresh token without offline_access is bound to the sign-in session and dies with it; with
// offline_access it outlives the session (OIDC Core §11). The access token is for the audience the grant decided
// (src/oidc/grant-audience.ts, issue 22): an API, or the userinfo endpoint.
import { hashSecret, randomSecret } from '../../auth/secrets.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { SecretBox } from '../../auth/secret-box.js';
import type { KeyRing } from '../../signing/key-ring.js';
import type { SigningKey } from '../../signing/key-store.js';
import type { ClientRecord, NewRefreshToken, UserRecord } from '../../store/records.js';
import type { IssuedTokens, Store } from '../../store/store.js';
import { accessTokenRecord, finishAccessToken, planAccessToken, type PlannedAccessToken } from '../../tokens/access-token.js';
import { signIdToken } from '../../tokens/id-token.js';
import type { ClaimCatalog } from '../claim-catalog.js';
import { releasedClaims, scopedClaims, type ClaimFacts } from '../claims.js';
import type { Audience } from '../grant-audience.js';

export interface GrantDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  keyRing: KeyRing;
  /** Opened on first use (src/http/app.ts): a refresh derives its successor under a key from it. */
  secretBox: () => Promise<SecretBox>;
  /** The attribute definitions, cached per process (src/oidc/claim-catalog.ts). */
  claimCatalog: ClaimCatalog;
}

/**
 * Issue 28: what the token request proved besides the client: the RFC 7638 thumbprint of the key of its DPoP proof
 * (RFC 9449 §5), null when it sent none. The access token is bound to it; a public client's refresh token too.
 */
export interface TokenRequestContext {
  dpopJkt: string | null;
}

/** A token request without a DPoP proof: bearer tokens. */
export const BEARER_REQUEST: TokenRequestContext = { dpopJkt: null };

/** RFC 9449 §5: a token bound to a DPoP key is of type DPoP; any other is a bearer token (RFC 6750). */
export type TokenType = 'Bearer' | 'DPoP';

export const tokenTypeOf = (jkt: string | null): TokenType => (jkt === null ? 'Bearer' : 'DPoP');

/**
 * RFC 9449 §5: a public client's refresh token is bound to its DPoP key (a confidential client's is already bound
 * to its credentials, so it stays unbound and the client may change keys). A token already bound stays bound to its key.
 */
export function refreshJkt(client: ClientRecord, proved: string | null, bound: string | null = null): string | null {
  return bound ?? (client.clientType === 'public' ? proved : null);
}

/** Everything a grant carries from the moment the person signed in. */
export interface Grant {
  grantId: string;
  client: ClientRecord;
  user: UserRecord;
  /** The grant's scope for this response (narrowed by a refresh's `scope`); the access token's may be narrower still. */
  scope: string[];
  /** The APIs the grant named (RFC 8707), kept on its refresh token so that a refresh may narrow to one of them. */
  resources: string[];
  authTime: number;
  nonce: string | null;
  sessionIdHash: string | null;
  sid: string | null;
  amr: string[];
  /** The upstream provider of the sign-in (SessionRecord.idp), carried like `amr`. */
  idp: string | null;
  /** The person's groups and attribute values, read for this response (src/oidc/grants/access-check.ts). */
  facts: ClaimFacts;
  /** Issue 28: the DPoP key (RFC 7638 thumbprint) the access token is bound to (`cnf.jkt`); null for a bearer token. */
  dpopJkt: string | null;
}

/** The refresh token to issue with the response. */
export interface RefreshPlan {
  /** The refresh token's scope: the grant's whole scope, even when this response was narrowed (RFC 6749 §6). */
  scope: string[];
  /** The grant's absolute end, which no rotation moves. */
  grantExpiresAt: number;
  /**
   * The token itself when the grant derives it (a refresh's successor, src/oidc/grants/refresh-retry.ts); random
   * otherwise. A derived token already recorded is handed out again and recorded once.
   */
  token?: string;
  /** Issue 28: the DPoP key the refresh token is bound to (refreshJkt); null: unbound. */
  jkt: string | null;
}

export interface TokenResponse {
  access_token: string;
  token_type: TokenType;
  expires_in: number;
  /** Only when the grant has openid (a device grant may not; a machine's never does). */
  id_token?: string;
  /** The access token's scope (RFC 6749 §5.1). */
  scope: string;
  refresh_token?: string;
}

/** Whether a grant may hold a refresh token: the client may refresh, and the token is bounded by a session or offline_access. */
export function mayRefresh(client: ClientRecord, scope: string[], sessionIdHash: string | null): boolean {
  return client.grantTypes.includes('refresh_token') && (scope.includes('offline_access') || sessionIdHash !== null);
}

/** The refresh token to hand out and its record, or neither when the grant may not refresh. */
function planRefreshToken(grant: Grant, refresh: RefreshPlan | null, config: Config, now: number, kid: string): { token: string; record: NewRefreshToken } | null {
  if (refresh === null) return null;
  const token = refresh.token ?? randomSecret();
  return {
    token,
    record: {
      tokenHash: hashSecret(token),
      grantId: grant.grantId,
      clientId: grant.client.clientId,
      userId: grant.user.id,
      sessionIdHash: grant.sessionIdHash,
      sid: grant.sid,
      amr: grant.amr,
      idp: grant.idp,
      scope: refresh.scope.join(' '),
      resources: grant.resources,
      authTime: grant.authTime,
      createdAt: now,
      // Each token must be used within the idle lifetime, and never past the grant's absolute end.
      expiresAt: Math.min(refresh.grantExpiresAt, now + config.lifetimes.refreshTokenIdle * 1000),
      grantExpiresAt: refresh.grantExpiresAt,
      kid,
      jkt: refresh.jkt,
    },
  };
}

/**
 * The access token, then the ID token that carries its hash (at_hash): two signatures, one after the other. OIDC
 * Core §3.1.3.8: the ID token only when the grant has openid (a device grant may be OAuth alone).
 */
async function signTokens(key: SigningKey, config: Config, grant: Grant, accessToken: PlannedAccessToken, now: number): Promise<{ accessToken: string; idToken: string | null }> {
  const finished = await finishAccessToken(key, accessToken);
  if (!grant.scope.includes('openid')) return { accessToken: finished, idToken: null };
  const idToken = await signIdToken(key, {
    issuer: config.issuer,
    clientId: grant.client.clientId,
    user: grant.user,
    claims: scopedClaims(grant.user, grant.scope, grant.client, grant.facts),
    authTime: grant.authTime,
    now,
    lifetimeSeconds: config.lifetimes.idToken,
    nonce: grant.nonce,
    sid: grant.sid,
    amr: grant.amr,
    idp: grant.idp,
    accessToken: finished,
  });
  return { accessToken: finished, idToken };
}

/**
 * Issues the response of a person's grant for `audience` (src/oidc/grant-audience.ts): the access token has the
 * audience's scope, lifetime and format, and the person's released groups and attribute claims as the grant's scope
 * releases them (RFC 9068 §2.2.3.1), whatever the audience.
 */
export async function issueTokens(deps: GrantDependencies, grant: Grant, audience: Audience, refresh: RefreshPlan | null): Promise<TokenResponse> {
  const response = await issueTokensSpending(deps, grant, audience, refresh, null);
  // Stryker disable next-line all: unreachable; a response that spends nothing is always recorded.
  if (response === null) throw new Error('a token response that spends nothing was not recorded');
  return response;
}

/** The single-use credential a response spends (IssuedTokens.spends): the code redeemed, the refresh token rotated. */
export type Spent = NonNullable<IssuedTokens['spends']>;

/**
 * issueTokens for a grant that spends a code or a refresh token (issue 27): the credential is spent in the same
 * write as the records, while the tokens are signed, so a token response commits once. Null when another request
 * spent it first: nothing was recorded, and the signed tokens are dropped unseen.
 */
export async function issueTokensSpending(
  { store, clock, config, keyRing }: GrantDependencies,
  grant: Grant,
  audience: Audience,
  refresh: RefreshPlan | null,
  spends: Spent | null,
): Promise<TokenResponse | null> {
  const now = clock.now();
  const key = keyRing.signingKey;
  const accessToken = planAccessToken({
    issuer: config.issuer,
    audience: audience.audience,
    clientId: grant.client.clientId,
    subject: grant.user.id,
    scope: audience.scope,
    authTime: grant.authTime,
    now,
    lifetimeSeconds: audience.lifetimeSeconds,
    format: audience.format,
    claims: releasedClaims(grant.scope, grant.client, grant.facts),
    jkt: grant.dpopJkt,
  });
  const refreshToken = planRefreshToken(grant, refresh, config, now, key.kid);
  // Recorded together, before the response leaves: the access token by jti (for revocation), the client among
  // the session's (for back-channel logout), the refresh token by its hash. Everything recorded is known before
  // signing, so the commit's wait for the disk overlaps the signatures instead of following them. A failed
  // signature leaves records of tokens nobody holds, which expire unused.
  const [signed, recorded] = await Promise.all([
    signTokens(key, config, grant, accessToken, now),
    store.issuance.record({
      accessToken: accessTokenRecord(accessToken, { grantId: grant.grantId, userId: grant.user.id, sessionIdHash: grant.sessionIdHash, kid: key.kid, createdAt: now }),
      sessionClient: grant.sid === null ? null : { sid: grant.sid, clientId: grant.client.clientId, at: now },
      refreshToken: refreshToken?.record ?? null,
      spends,
    }),
  ]);
  if (!recorded) return null;
  const response: TokenResponse = {
    access_token: signed.accessToken,
    token_type: tokenTypeOf(grant.dpopJkt),
    expires_in: audience.lifetimeSeconds,
    ...(signed.idToken !== null ? { id_token: signed.idToken } : {}),
    scope: audience.scope.join(' '),
  };
  if (refreshToken) response.refresh_token = refreshToken.token;
  return response;
}
