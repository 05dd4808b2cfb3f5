// Which claims each scope releases (OIDC Core §5.4), for the ID token and userinfo alike.
import type { UserRecord } from '../store/records.js';

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export const SUPPORTED_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'sid', 'at_hash', 'amr', 'acr', 'name', 'email', 'email_verified'];

/** The user claims the granted scopes release; `name` only when the user has one. */
export function scopedClaims(user: UserRecord, scope: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scope.includes('profile') && user.name !== null) claims.name = user.name;
  if (scope.includes('email')) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}
