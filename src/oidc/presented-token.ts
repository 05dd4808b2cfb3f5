// What a token presented to revocation (RFC 7009) or introspection (RFC 7662) is, and whose. Refresh tokens
// are opaque and found by their hash, whatever their state; access tokens are our JWTs (RFC 9068), trusted
// only once their signature holds, and found by `jti`, or opaque strings an API asked for (issue 22), found by their
// hash while they live. Both endpoints then decide what the state means.
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { hashSecret } from '../auth/secrets.js';
import { InvalidRequest } from '../errors.js';
import type { AccessTokenRecord, RefreshTokenRecord } from '../store/records.js';
import { ACCESS_TOKEN_TYPE } from '../tokens/access-token.js';
import { field } from './form-field.js';
import type { GrantDependencies } from './grants/issue-tokens.js';

export type TokenType = 'access_token' | 'refresh_token';

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  jti: string;
  client_id: string;
}

export type PresentedToken =
  /** Any refresh token we issued, live or dead: its record tells which. */
  | { type: 'refresh_token'; clientId: string; record: RefreshTokenRecord }
  /**
   * An access token: a JWT we signed, expired or not (`claims`; `record` its live record, null once expired or
   * revoked), or a live opaque token (`claims` null: its record is all there is of it).
   */
  | { type: 'access_token'; clientId: string; claims: AccessTokenClaims | null; record: AccessTokenRecord | null };

/** What finding an access token needs (issue 26: the management API's authentication uses it too). */
export type TokenLookupDependencies = Pick<GrantDependencies, 'store' | 'clock' | 'config' | 'keyRing'>;

export interface TokenRequest {
  token: string;
  hint: TokenType | null;
}

/** Reads `token` and `token_type_hint` (RFC 7009 §2.1, RFC 7662 §2.1); the client is already authenticated. */
export function tokenRequest(body: Record<string, unknown>): TokenRequest {
  const token = field(body, 'token');
  if (token === undefined) throw new InvalidRequest('token is missing');
  const hint = field(body, 'token_type_hint');
  // A hint we do not know is ignored rather than refused: both RFCs let the server ignore the hint.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,StringLiteral: equivalent; the hint and the token's shape only order the two lookups, both are tried, and a token matches at most one
  return { token, hint: hint === 'access_token' || hint === 'refresh_token' ? hint : null };
}

function ownClaims(payload: JWTPayload, issuer: string): AccessTokenClaims | null {
  const { iss, sub, jti, client_id: clientId } = payload;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent for iss, sub and jti (jose checks iss before exp; a token without sub or jti has no consistent record below, so it revokes nothing and is inactive); the client_id check is held by presented-token-edge-cases.test.ts (a token without client_id revokes nothing, answered 200)
  if (iss !== issuer || typeof sub !== 'string' || typeof jti !== 'string' || typeof clientId !== 'string') return null;
  return payload as AccessTokenClaims;
}

/**
 * The claims of an access token we signed, or null for anything forged, foreign, malformed or of another
 * type (an ID token is typ JWT). An expired token is still recognised, so that revocation can tell the
 * client it is not its own; jose authenticates the token and checks typ and iss before it looks at exp.
 */
async function accessTokenClaims(deps: TokenLookupDependencies, token: string): Promise<AccessTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, deps.keyRing.verificationKeys, {
      issuer: deps.config.issuer,
      typ: ACCESS_TOKEN_TYPE,
      algorithms: ['RS256'],
      currentDate: new Date(deps.clock.now()),
    });
    return ownClaims(payload, deps.config.issuer);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent; without maxTokenAge jose raises JWTExpired for exp alone, and names exp in another error only for a non-numeric exp, which we never sign
    if (error instanceof joseErrors.JWTExpired && error.claim === 'exp') return ownClaims(error.payload, deps.config.issuer);
    // Stryker disable next-line ConditionalExpression: equivalent; jwtVerify with our key set and a string token fails only with JOSE errors
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
}

async function findRefreshToken(deps: TokenLookupDependencies, token: string): Promise<PresentedToken | null> {
  const record = await deps.store.refreshTokens.find(hashSecret(token));
  return record ? { type: 'refresh_token', clientId: record.clientId, record } : null;
}

/**
 * Whether a JWT's live record is the one it was recorded as: the same client, and the same person, or for a machine's
 * token (no person, RFC 9068 §2.2) the client itself as `sub`.
 */
function consistentRecord(record: AccessTokenRecord, claims: AccessTokenClaims): boolean {
  if (record.format !== 'jwt' || record.clientId !== claims.client_id) return false;
  return record.userId === null ? claims.sub === record.clientId : record.userId === claims.sub;
}

async function findJwtAccessToken(deps: TokenLookupDependencies, token: string): Promise<PresentedToken | null> {
  const claims = await accessTokenClaims(deps, token);
  if (!claims) return null;
  const record = await deps.store.accessTokens.findLive(claims.jti, deps.clock.now());
  return { type: 'access_token', clientId: claims.client_id, claims, record: record !== null && consistentRecord(record, claims) ? record : null };
}

/**
 * An opaque access token, by the hash its record is keyed by. Only a live one is found: once expired or revoked
 * nothing tells whose it was, and both endpoints answer as for an unknown token.
 */
async function findOpaqueAccessToken(deps: TokenLookupDependencies, token: string): Promise<PresentedToken | null> {
  const record = await deps.store.accessTokens.findLive(hashSecret(token), deps.clock.now());
  // A JWT's record is keyed by its jti, which nobody presents as a token; the format makes sure.
  if (record === null || record.format !== 'opaque') return null;
  return { type: 'access_token', clientId: record.clientId, claims: null, record };
}

// Three dot-separated parts (RFC 7515 §7.1); an opaque token (base64url, src/auth/secrets.ts randomSecret) has none.
const looksLikeJwt = (token: string) => token.split('.').length === 3;

/**
 * A JWT-shaped token is one of our JWTs or nothing; any other may be an opaque access token. Exported for the
 * management API (src/api/authenticate.ts), which accepts access tokens as a resource server does.
 */
export function findAccessToken(deps: TokenLookupDependencies, token: string): Promise<PresentedToken | null> {
  return looksLikeJwt(token) ? findJwtAccessToken(deps, token) : findOpaqueAccessToken(deps, token);
}

/**
 * Finds the token, trying the hinted type first. RFC 7009 §2.1: a token not found under its hint is searched
 * for under every other type; without a usable hint, the token's shape picks the likelier lookup first.
 */
export async function findPresentedToken(deps: TokenLookupDependencies, { token, hint }: TokenRequest): Promise<PresentedToken | null> {
  // Stryker disable next-line LogicalOperator,StringLiteral: equivalent; the hint and the token's shape only order the two lookups, both are tried, and a token matches at most one
  const first = hint ?? (looksLikeJwt(token) ? 'access_token' : 'refresh_token');
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: equivalent; the hint and the token's shape only order the two lookups, both are tried, and a token matches at most one
  const lookups = first === 'access_token' ? [findAccessToken, findRefreshToken] : [findRefreshToken, findAccessToken];
  for (const lookup of lookups) {
    const found = await lookup(deps, token);
    if (found) return found;
  }
  return null;
}
