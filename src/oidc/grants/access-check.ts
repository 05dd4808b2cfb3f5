// The access rule at the token endpoint (issue 21): an application restricted to groups admits only their members,
// and that is checked again at the code exchange and at every refresh, with the membership as it is now. A person
// taken out of the group (or the group out of the rule) after signing in is refused there, and the grant is
// revoked as a replayed one is (RFC 9700 §4.14.2), so that every token of theirs for that application stops; the
// sign-in itself is refused earlier, by the interaction (src/interaction, audited `signin.denied`).
//
// The person's groups are read once per token response (src/oidc/claims.ts loadClaimFacts): the same read gives
// the rule its answer and the `groups` claim its names.
import { mayUse } from '../../auth/access-rules.js';
import { InvalidGrant } from '../../errors.js';
import type { ClientRecord, DEVICE_CODE_GRANT } from '../../store/records.js';
import { loadClaimFacts, type ClaimFacts } from '../claims.js';
import type { GrantDependencies } from './issue-tokens.js';
import { revokeGrant } from './revoke-grant.js';

export interface AccessCheck {
  grantId: string;
  userId: string;
  /** The scope of the response about to be issued: it decides which facts are read. */
  scope: readonly string[];
  grantType: 'authorization_code' | 'refresh_token' | typeof DEVICE_CODE_GRANT;
}

/** The claim facts of the response, once the client's access rule admits the person; otherwise invalid_grant. */
export async function admittedClaimFacts(deps: GrantDependencies, client: ClientRecord, check: AccessCheck): Promise<ClaimFacts> {
  const facts = await loadClaimFacts(deps.store, deps.claimCatalog, client, check.userId, check.scope);
  // loadClaimFacts reads the groups whenever the client is restricted; an unrestricted client needs none.
  if (mayUse(client, facts.groups ?? [])) return facts;
  const now = deps.clock.now();
  const revoked = await revokeGrant(deps.store, check.grantId, now);
  await deps.store.audit.append({
    at: now,
    type: 'token.denied',
    actor: client.clientId,
    subject: check.userId,
    clientId: client.clientId,
    ip: null,
    outcome: 'failure',
    details: {
      reason: 'access_rule',
      grant_type: check.grantType,
      grant_id: check.grantId,
      revoked_refresh_tokens: revoked.refreshTokens,
      revoked_access_tokens: revoked.accessTokens,
    },
  });
  throw new InvalidGrant(
    'the user may not use this application',
    // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
    `access rule of ${client.clientId} refuses user ${check.userId}; grant ${check.grantId} revoked`,
  );
}
