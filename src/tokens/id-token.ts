// ID tokens (OIDC Core §2, §3.1.3.6): who signed in, when and how, for one client.
import { createHash } from 'node:crypto';
import type { SigningKey } from '../signing/key-store.js';
import type { UserRecord } from '../store/records.js';
import { acrOf } from '../auth/mfa-policy.js';
import { signJwt } from './sign-jwt.js';

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  user: UserRecord;
  /** The user claims the granted scopes release (src/oidc/claims.ts scopedClaims); a protocol claim wins over them. */
  claims: Record<string, unknown>;
  /** Milliseconds since the epoch, like every stored time. */
  authTime: number;
  now: number;
  lifetimeSeconds: number;
  nonce: string | null;
  sid: string | null;
  amr: readonly string[];
  /** The upstream provider the sign-in went through (issue 23): the `idp` claim; null or absent for none. */
  idp?: string | null;
  accessToken: string;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token's ASCII octets, base64url. */
export function accessTokenHash(accessToken: string): string {
  // Stryker disable next-line StringLiteral: a JWS compact string is ASCII, so the default (utf8) encoding hashes the same octets (the 'sha256' and 'base64url' mutants skipped with it fail to hash or change at_hash, checked in token-endpoint.test.ts)
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

export function signIdToken(key: SigningKey, input: IdTokenInput): Promise<string> {
  const iat = seconds(input.now);
  return signJwt(key, {
    ...input.claims,
    iss: input.issuer,
    sub: input.user.id,
    aud: input.clientId,
    exp: iat + input.lifetimeSeconds,
    iat,
    auth_time: seconds(input.authTime),
    ...(input.nonce !== null ? { nonce: input.nonce } : {}),
    azp: input.clientId,
    ...(input.sid !== null ? { sid: input.sid } : {}),
    at_hash: accessTokenHash(input.accessToken),
    ...(input.amr.length > 0 ? { amr: [...input.amr], acr: acrOf(input.amr) } : {}),
    // Not registered by OIDC Core; the name Keycloak (`identity_provider`), Azure AD and Okta use for the same fact.
    ...(input.idp ? { idp: input.idp } : {}),
  });
}
