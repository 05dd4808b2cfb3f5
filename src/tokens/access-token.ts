// Access tokens: JWTs per RFC 9068, recorded by jti so that they can be revoked before they expire. They carry
// the person's released groups and attribute claims (RFC 9068 §2.2.3.1: groups, roles, entitlements), so that a
// resource server can decide without calling userinfo; identity claims (name, email) stay in the ID token.
import { randomId } from '../auth/secrets.js';
import type { SigningKey } from '../signing/key-store.js';
import { signJwt } from './sign-jwt.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenInput {
  issuer: string;
  /** The resource the token is for (RFC 9068 §2.2 `aud`): our userinfo endpoint. */
  audience: string;
  clientId: string;
  userId: string;
  scope: readonly string[];
  authTime: number;
  now: number;
  lifetimeSeconds: number;
  /** `groups` and attribute claims (src/oidc/claims.ts releasedClaims); the token's own claims win over them. */
  claims?: Record<string, unknown>;
}

/** An access token's facts, fixed before it is signed: the store records them while the signature is computed. */
export interface PlannedAccessToken {
  jti: string;
  expiresAt: number;
  claims: Record<string, unknown>;
}

export function planAccessToken(input: AccessTokenInput): PlannedAccessToken {
  const iat = Math.floor(input.now / 1000);
  const jti = randomId();
  const claims = {
    ...input.claims,
    iss: input.issuer,
    sub: input.userId,
    aud: input.audience,
    exp: iat + input.lifetimeSeconds,
    iat,
    jti,
    client_id: input.clientId,
    scope: input.scope.join(' '),
    auth_time: Math.floor(input.authTime / 1000),
  };
  return { jti, expiresAt: (iat + input.lifetimeSeconds) * 1000, claims };
}

export function signAccessToken(key: SigningKey, planned: PlannedAccessToken): Promise<string> {
  return signJwt(key, planned.claims, ACCESS_TOKEN_TYPE);
}
