// How `idp client` prints an application: its registration as RFC 7591 (and OIDC Registration) names the
// fields, with its groups by name.
import { formatGroupsClaim } from '../manage/clients.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { iso } from './run.js';

/** Group names by id, for the clients about to be shown (a group deleted meanwhile is simply left out). */
export async function groupNamesOf(store: Store, clients: readonly ClientRecord[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(clients.flatMap((client) => [...client.accessGroups, ...client.claimGroups]))) {
    const group = await store.groups.findById(id);
    if (group) names.set(id, group.name);
  }
  return names;
}

/**
 * The registration as RFC 7591 names its fields; the secret hash never leaves the store. Groups are shown by
 * name (what --allowed-group and --claim-group take), sorted.
 */
export function clientJson(client: ClientRecord, groupNames: ReadonlyMap<string, string> = new Map()) {
  const named = (ids: readonly string[]) =>
    ids
      .map((id) => groupNames.get(id))
      .filter((name): name is string => name !== undefined)
      .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return {
    client_id: client.clientId,
    client_name: client.name,
    client_type: client.clientType,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    backchannel_logout_uri: client.backchannelLogoutUri,
    grant_types: client.grantTypes,
    scope: client.scopes.join(' '),
    pkce_required: client.pkceRequired,
    require_mfa: client.requireMfa,
    /** null: the server's REFRESH_REUSE_GRACE applies. */
    refresh_reuse_grace: client.refreshReuseGrace,
    /** 'everyone', or 'groups': only members of access_groups (none: nobody). */
    access_policy: client.accessPolicy,
    access_groups: named(client.accessGroups),
    groups_claim: formatGroupsClaim(client.groupsClaim),
    claim_groups: named(client.claimGroups),
    initiate_login_uri: client.initiateLoginUri,
    logo_uri: client.logoUri,
    /** null: the server's ACCESS_CONTACT. */
    access_contact: client.accessContact,
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
  };
}

export type ClientJson = ReturnType<typeof clientJson>;
