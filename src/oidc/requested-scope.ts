// The scope a person's grant gets, from what the client asked for: the rule of the authorization endpoint and of the
// device authorization endpoint (RFC 8628 §3.1), in one place. OpenID Connect scopes as before issue 22; API scopes
// (issue 22) only for the APIs the request names with `resource` (RFC 8707 §2), and only those the client was
// granted of them.
import { InvalidScope } from '../errors.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { attributeScopes, type ClaimCatalog } from './claim-catalog.js';
import { CLIENT_REGISTERED_SCOPES, GROUPS_SCOPE } from './claims.js';
import { apiTargets } from './resource.js';

export interface RequestedScopeOptions {
  /** The authorization endpoint needs openid (OIDC Core §3.1.2.1); a device authorization may do without (RFC 8628). */
  requireOpenid: boolean;
}

/** The attribute scopes, from the process's catalog (cached: no query per request). */
async function grantableAttributeScopes(catalog: Pick<ClaimCatalog, 'definitions'>): Promise<ReadonlySet<string>> {
  return new Set(attributeScopes(await catalog.definitions()));
}

/**
 * The scopes granted: of openid, profile, email and offline_access those registered for the client (as before
 * issue 21), plus `groups` and every attribute's scope for any client (issue 21: its groups-claim mode and the
 * person's values decide what they release). An attribute released with `profile` follows `profile`.
 *
 * Issue 22: a scope one of the named resources' APIs defines is kept when the client may request it of at least one
 * of them, and refused with invalid_scope when it may request it of none: the client named the API, so dropping the
 * scope quietly would hand it a token that silently lacks what it asked for. The resources themselves must be APIs
 * granted to the client for people's tokens (invalid_target otherwise, src/oidc/resource.ts). Without `resource`, an
 * API scope is one we do not know here and is dropped, as before.
 */
export async function grantRequestedScope(
  store: Store,
  catalog: Pick<ClaimCatalog, 'definitions'>,
  client: ClientRecord,
  requested: string | undefined,
  resources: readonly string[],
  options: RequestedScopeOptions,
): Promise<string[]> {
  // Stryker disable next-line MethodExpression,StringLiteral: equivalent; an empty string is not a supported scope, and a set without openid is refused the same
  const asked = new Set((requested ?? '').split(' ').filter(Boolean));
  if (options.requireOpenid && !asked.has('openid')) throw new InvalidScope('scope must include openid');
  const [forEveryClient, targets] = await Promise.all([grantableAttributeScopes(catalog), resources.length > 0 ? apiTargets(store, client.clientId, resources, 'people') : []]);
  const defined = new Set(targets.flatMap((target) => target.api.scopes.map((scope) => scope.name)));
  const grantable = new Set(targets.flatMap((target) => target.scopes));
  const refused = [...asked].filter((scope) => !CLIENT_REGISTERED_SCOPES.includes(scope) && scope !== GROUPS_SCOPE && !forEveryClient.has(scope) && defined.has(scope) && !grantable.has(scope));
  if (refused.length > 0) {
    throw new InvalidScope(`scope ${refused.join(' ')} is not granted to this client for the resources named`);
  }
  // RFC 6749 §3.3: scopes the client may not have, or we do not know, are left out of the grant, not refused.
  return [...asked].filter((scope) => {
    if (CLIENT_REGISTERED_SCOPES.includes(scope)) return client.scopes.includes(scope);
    return scope === GROUPS_SCOPE || forEveryClient.has(scope) || grantable.has(scope);
  });
}
