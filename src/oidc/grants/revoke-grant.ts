// Revoking a grant: every refresh token and every access token issued from it, by grant id. Used when a code
// or refresh token is replayed (RFC 6749 §4.1.2, RFC 9700 §4.14.2), on revocation (RFC 7009 §2.1), and when
// the key that signed the grant's tokens is revoked.
import type { Store } from '../../store/store.js';

export interface RevokedTokens {
  refreshTokens: number;
  accessTokens: number;
}

export async function revokeGrant(store: Store, grantId: string, now: number): Promise<RevokedTokens> {
  const refreshTokens = await store.refreshTokens.revokeGrant(grantId, now);
  const accessTokens = await store.accessTokens.revokeGrant(grantId, now);
  return { refreshTokens, accessTokens };
}
