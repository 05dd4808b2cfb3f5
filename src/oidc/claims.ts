// Which claims each scope releases (OIDC Core §5.4), for the ID token, userinfo and the access token alike.
// Built in: `profile` (name), `email` (email, email_verified) and, from issue 21, `groups` (the names of the
// person's groups the client may see). Besides, every attribute an administrator defines is released as its claim
// with its scope. The facts behind the claims (groups, attribute values) are read as they are at the time of the
// response, so a refreshed token carries today's membership (issue 21).
import { restricted } from '../auth/access-rules.js';
import type { AttributeDefinition, AttributeValue, ClientRecord, MemberGroup, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ClaimCatalog } from './claim-catalog.js';

export const GROUPS_SCOPE = 'groups';

/** The scopes Gatehouse itself defines. Attribute scopes come on top (src/oidc/claim-catalog.ts). */
export const BUILTIN_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access', GROUPS_SCOPE];

/**
 * The built-in scopes a client holds only when registered with them (client.scopes): `groups` and attribute
 * scopes are grantable to every client, its groups-claim mode limiting what `groups` shows (issue 21).
 */
export const CLIENT_REGISTERED_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access'];

export const BUILTIN_CLAIMS: readonly string[] = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'sid', 'at_hash', 'amr', 'acr', 'name', 'email', 'email_verified', 'groups'];

/**
 * Claims an attribute may never set, whatever the store holds (the manage layer refuses them as claim names, in
 * any case; an imported or hand-edited definition is skipped here too): the protocol's own claims and ours.
 */
export const PROTECTED_CLAIMS: ReadonlySet<string> = new Set([
  ...BUILTIN_CLAIMS,
  'jti',
  'nbf',
  'c_hash',
  's_hash',
  'client_id',
  'scope',
  'cnf',
  'act',
  'may_act',
  'typ',
  'updated_at',
  'events',
  '_claim_names',
  '_claim_sources',
]);

/** The names of the person's groups the client may see: all, those it lists, or those with its prefix. */
export function releasedGroups(client: Pick<ClientRecord, 'groupsClaim' | 'accessGroups' | 'claimGroups'>, groups: readonly MemberGroup[]): string[] {
  const mode = client.groupsClaim;
  switch (mode.kind) {
    case 'all':
      return groups.map((group) => group.name);
    case 'listed': {
      const listed = new Set([...client.accessGroups, ...client.claimGroups]);
      return groups.filter((group) => listed.has(group.id)).map((group) => group.name);
    }
    case 'prefix': {
      // Names are compared case-insensitively everywhere (unique by lower(name)); a prefix is too.
      const prefix = mode.prefix.toLowerCase();
      return groups.filter((group) => group.name.toLowerCase().startsWith(prefix)).map((group) => group.name);
    }
    default:
      // Fails closed: a mode this code does not know releases nothing.
      return [];
  }
}

/** What the claims of one response are made of, read once per response. */
export interface ClaimFacts {
  /** The person's groups; null when nothing needed them (no `groups` scope, an unrestricted client). */
  groups: MemberGroup[] | null;
  definitions: readonly AttributeDefinition[];
  /** The person's attribute values; null when no granted scope is an attribute's. */
  values: Record<string, AttributeValue> | null;
}

/**
 * Reads what the response needs and nothing more: the groups (one indexed query) when `groups` is granted or the
 * client's access rule must be checked, the attribute values when a granted scope releases an attribute.
 */
export async function loadClaimFacts(
  store: Store,
  catalog: Pick<ClaimCatalog, 'definitions'>,
  client: Pick<ClientRecord, 'accessPolicy'>,
  userId: string,
  scope: readonly string[],
): Promise<ClaimFacts> {
  const definitions = await catalog.definitions();
  const needsGroups = scope.includes(GROUPS_SCOPE) || restricted(client);
  const needsValues = definitions.some((definition) => scope.includes(definition.scope));
  const [groups, values] = await Promise.all([needsGroups ? store.groups.groupsOf(userId) : null, needsValues ? store.attributes.valuesOf(userId) : null]);
  return { groups, definitions, values };
}

/**
 * The claims of issue 21 the granted scopes release: `groups` and the attributes. These go into the access token
 * too (RFC 9068 §2.2.3.1), besides the ID token and userinfo. An attribute is released only when the person has a
 * value, and never as a built-in or protocol claim.
 */
export function releasedClaims(scope: readonly string[], client: Pick<ClientRecord, 'groupsClaim' | 'accessGroups' | 'claimGroups'>, facts: ClaimFacts): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  // An empty array, not an absent claim, when none is released: the client asked and the answer is "none".
  if (scope.includes(GROUPS_SCOPE)) claims.groups = releasedGroups(client, facts.groups ?? []);
  for (const definition of facts.definitions) {
    if (!scope.includes(definition.scope) || PROTECTED_CLAIMS.has(definition.claim) || Object.hasOwn(claims, definition.claim)) continue;
    const value = facts.values !== null && Object.hasOwn(facts.values, definition.name) ? facts.values[definition.name] : undefined;
    if (value !== undefined) claims[definition.claim] = Array.isArray(value) ? [...value] : value;
  }
  return claims;
}

/** The user claims the granted scopes release (ID token, userinfo); `name` only when the user has one. */
export function scopedClaims(user: UserRecord, scope: readonly string[], client: Pick<ClientRecord, 'groupsClaim' | 'accessGroups' | 'claimGroups'>, facts: ClaimFacts): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scope.includes('profile') && user.name !== null) claims.name = user.name;
  if (scope.includes('email')) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return { ...claims, ...releasedClaims(scope, client, facts) };
}
