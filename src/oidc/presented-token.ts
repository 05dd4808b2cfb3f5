// What a token presented to revocation or introspection is. Refresh tokens are opaque and found by hash;
// access tokens are our JWTs (RFC 9068), trusted only after their signature, and found by `jti`. The shape
// decides which one to look for, so token_type_hint may be ignored (RFC 7009 §2.1, RFC 7662 §2.1).
import { compactVerify, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { hashSecret } from '../auth/secrets.js';
import type { AccessTokenRecord, RefreshTokenRecord } from '../store/records.js';
import { ACCESS_TOKEN_TYPE } from '../tokens/access-token.js';
import type { GrantDependencies } from './grants/issue-tokens.js';

export type PresentedToken =
  | { type: 'refresh_token'; clientId: string; record: RefreshTokenRecord }
  | { type: 'access_token'; clientId: string; claims: JWTPayload & { jti: string; sub: string }; record: AccessTokenRecord | null };

const looksLikeJwt = (token: string) => token.split('.').length === 3;

function ownAccessTokenClaims(payload: JWTPayload, issuer: string): (JWTPayload & { jti: string; sub: string; client_id: string }) | null {
  if (payload.iss !== issuer || typeof payload.jti !== 'string' || typeof payload.sub !== 'string' || typeof payload.client_id !== 'string') return null;
  return payload as JWTPayload & { jti: string; sub: string; client_id: string };
}

/**
 * Verifies an access token we signed. With `checkExpiry` false an expired token is still recognised (a
 * revocation of it is simply a no-op); anything forged, foreign or malformed is null.
 */
async function accessTokenClaims(deps: GrantDependencies, token: string, checkExpiry: boolean) {
  try {
    if (checkExpiry) {
      const { payload } = await jwtVerify(token, deps.keyRing.verificationKeys, {
        issuer: deps.config.issuer,
        typ: ACCESS_TOKEN_TYPE,
        algorithms: ['RS256'],
        currentDate: new Date(deps.clock.now()),
      });
      return ownAccessTokenClaims(payload, deps.config.issuer);
    }
    const { payload, protectedHeader } = await compactVerify(token, deps.keyRing.verificationKeys, { algorithms: ['RS256'] });
    if (protectedHeader.typ !== ACCESS_TOKEN_TYPE) return null;
    return ownAccessTokenClaims(JSON.parse(new TextDecoder().decode(payload)) as JWTPayload, deps.config.issuer);
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof SyntaxError) return null;
    throw error;
  }
}

export async function findPresentedToken(deps: GrantDependencies, token: string, options: { checkExpiry: boolean }): Promise<PresentedToken | null> {
  if (!looksLikeJwt(token)) {
    const record = await deps.store.refreshTokens.find(hashSecret(token));
    return record ? { type: 'refresh_token', clientId: record.clientId, record } : null;
  }
  const claims = await accessTokenClaims(deps, token, options.checkExpiry);
  if (!claims) return null;
  const record = await deps.store.accessTokens.findLive(claims.jti, deps.clock.now());
  // The record must be the one this token was recorded as: same subject and client.
  const consistent = record !== null && record.userId === claims.sub && record.clientId === claims.client_id;
  return { type: 'access_token', clientId: claims.client_id, claims, record: consistent ? record : null };
}
