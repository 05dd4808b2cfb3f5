// Token revocation (RFC 7009): a client tells us it no longer needs a token. A refresh token takes its whole
// grant with it, access tokens included (§2.1); an access token (a JWT, or an opaque one, issue 22) takes only
// itself. Only the token's own client may revoke it, even an API that may introspect it (§2.1). Unknown and already dead
// tokens answer 200 like a success, because the client cannot act on the difference (§2.2).
import type { Request, Response } from 'express';
import { UnauthorizedClient } from '../errors.js';
import type { ClientRecord } from '../store/records.js';
import { authenticateClient, type ClientAuthDependencies } from './client-auth.js';
import type { GrantDependencies } from './grants/issue-tokens.js';
import { revokeGrant } from './grants/revoke-grant.js';
import { findPresentedToken, tokenRequest, type PresentedToken } from './presented-token.js';

interface Revoked {
  /** The person; for a machine's token, its client (RFC 9068 §2.2: the client is its subject). */
  subject: string;
  grantId: string;
}

/** Revokes what the token stands for; null when nothing was left to revoke. */
async function revoke(deps: GrantDependencies, found: PresentedToken): Promise<Revoked | null> {
  const now = deps.clock.now();
  if (found.type === 'refresh_token') {
    const { grantId, userId } = found.record;
    // §2.1: revoking a refresh token SHOULD also invalidate the access tokens of the same grant.
    const { refreshTokens, accessTokens } = await revokeGrant(deps.store, grantId, now);
    return refreshTokens + accessTokens > 0 ? { subject: userId, grantId } : null;
  }
  const { record } = found;
  if (record === null) return null;
  // An opaque token's record is keyed by its hash (jti), as found.
  return (await deps.store.accessTokens.revoke(record.jti, now)) ? { subject: record.userId ?? record.clientId, grantId: record.grantId } : null;
}

/** The audit trail names the client, the person and the grant, never the token. */
async function audit(deps: GrantDependencies, req: Request, client: ClientRecord, found: PresentedToken, revoked: Revoked): Promise<void> {
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'token.revoked',
    actor: client.clientId,
    subject: revoked.subject,
    ip: req.ip ?? null,
    details: { client_id: client.clientId, token_type: found.type, grant_id: revoked.grantId },
  });
}

export function revocationEndpoint(deps: GrantDependencies & ClientAuthDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    // §2.1: the client is authenticated before anything looks at the token.
    const client = await authenticateClient(deps, req);
    const presented = tokenRequest((req.body ?? {}) as Record<string, unknown>);
    const found = await findPresentedToken(deps, presented);
    if (found !== null && found.clientId !== client.clientId) {
      // §2.1: the server verifies that the token was issued to the client asking, and refuses otherwise.
      throw new UnauthorizedClient(
        'the token was not issued to this client',
        // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
        `${client.clientId} tried to revoke ${found.type} of ${found.clientId}`,
      );
    }
    const revoked = found === null ? null : await revoke(deps, found);
    // Stryker disable next-line ConditionalExpression: equivalent for `found !== null` -> true; revoked is null whenever found is (the whole-condition mutants die in revocation.test.ts)
    if (found !== null && revoked !== null) await audit(deps, req, client, found, revoked);
    // §2.2: 200 whether or not there was anything left to revoke; the body is empty.
    res.status(200).end();
  };
}
