// Token revocation (RFC 7009): a client tells us it no longer needs a token. A refresh token takes its whole
// grant with it, access tokens included (§2.1); an access token takes only itself. Unknown and already dead
// tokens answer 200 like a success, because the client cannot act on the difference (§2.2).
import type { Request, Response } from 'express';
import { InvalidRequest, UnauthorizedClient } from '../errors.js';
import { authenticateClient } from './client-auth.js';
import { field } from './grants/form-field.js';
import type { GrantDependencies } from './grants/issue-tokens.js';
import { findPresentedToken, type PresentedToken } from './presented-token.js';

async function revoke(deps: GrantDependencies, found: PresentedToken): Promise<{ userId: string; grantId: string } | null> {
  const now = deps.clock.now();
  if (found.type === 'refresh_token') {
    const { grantId, userId } = found.record;
    const revoked = (await deps.store.refreshTokens.revokeGrant(grantId, now)) + (await deps.store.accessTokens.revokeGrant(grantId, now));
    return revoked > 0 ? { userId, grantId } : null;
  }
  if (!found.record) return null;
  return (await deps.store.accessTokens.revoke(found.record.jti, now)) ? { userId: found.record.userId, grantId: found.record.grantId } : null;
}

export function revocationEndpoint(deps: GrantDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await authenticateClient(deps.store, req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = field(body, 'token');
    if (!token) throw new InvalidRequest('token is missing');
    // Only checked for form: the token's shape tells us what it is (§2.1 lets the server ignore the hint).
    field(body, 'token_type_hint');

    const found = await findPresentedToken(deps, token, { checkExpiry: false });
    if (found && found.clientId !== client.clientId) {
      // §2.1: the server verifies that the token was issued to the client asking.
      throw new UnauthorizedClient('the token was not issued to this client', `${client.clientId} tried to revoke a token of ${found.clientId}`);
    }
    const revoked = found ? await revoke(deps, found) : null;
    if (found && revoked) {
      await deps.store.audit.append({
        at: deps.clock.now(),
        type: 'token.revoked',
        actor: client.clientId,
        subject: revoked.userId,
        ip: req.ip ?? null,
        details: { client_id: client.clientId, token_type: found.type, grant_id: revoked.grantId },
      });
    }
    res.status(200).end();
  };
}
