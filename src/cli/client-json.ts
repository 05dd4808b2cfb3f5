// How `idp client` prints an application: its registration as RFC 7591 (and OIDC Registration) names the
// fields, with its groups by name, and (issue 22) its keys and the APIs it may request or introspect, and (issue 24)
// whether it is third-party and how it was registered (never its registration access token's hash), and (issue 28)
// whether it must push its authorization requests and bind its access tokens with DPoP.
import { formatGroupsClaim } from '../manage/clients.js';
import { describeKey, jwksKeys } from '../manage/client-keys.js';
import type { ClientApiAccess, ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { iso } from './run.js';

/** What a client's JSON needs beyond its record: group names by id, and its API grants by client id. */
export interface ClientViews {
  groupNames: ReadonlyMap<string, string>;
  apis: ReadonlyMap<string, readonly ClientApiAccess[]>;
}

/** Group names by id, for the clients about to be shown (a group deleted meanwhile is simply left out). */
export async function groupNamesOf(store: Store, clients: readonly ClientRecord[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(clients.flatMap((client) => [...client.accessGroups, ...client.claimGroups]))) {
    const group = await store.groups.findById(id);
    if (group) names.set(id, group.name);
  }
  return names;
}

/** Everything clientJson needs for these clients, read from the store. */
export async function clientViews(store: Store, clients: readonly ClientRecord[]): Promise<ClientViews> {
  const apis = new Map<string, ClientApiAccess[]>();
  for (const client of clients) apis.set(client.clientId, await store.apis.accessOf(client.clientId));
  return { groupNames: await groupNamesOf(store, clients), apis };
}

/** The API grants as shown: the APIs it may request tokens for (scopes null: all of them), and those it may introspect. */
function apisJson(access: readonly ClientApiAccess[]) {
  return {
    apis: access.filter((grant) => grant.role === 'request').map((grant) => ({ identifier: grant.api.identifier, name: grant.api.name, scopes: grant.scopes })),
    introspect_apis: access.filter((grant) => grant.role === 'introspect').map((grant) => ({ identifier: grant.api.identifier, name: grant.api.name })),
  };
}

/**
 * The registration as RFC 7591 names its fields; the secret hash never leaves the store. Groups are shown by
 * name (what --allowed-group and --claim-group take), sorted; `jwks` is the public key set as stored.
 */
export function clientJson(client: ClientRecord, views: ClientViews) {
  const named = (ids: readonly string[]) =>
    ids
      .map((id) => views.groupNames.get(id))
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
    /** Issue 24: a third party's application (consent is asked) or the organisation's own. */
    third_party: client.thirdParty,
    /** 'admin' (the CLI, the admin screens, an import) or 'dynamic' (POST /register). */
    origin: client.origin,
    client_uri: client.clientUri,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
    jwks: client.jwks === null ? null : (JSON.parse(client.jwks) as { keys: unknown[] }),
    jwks_uri: client.jwksUri,
    /** RFC 9126 §6: authorization requests only through /par (REQUIRE_PAR requires it of every client). */
    require_pushed_authorization_requests: client.requirePushedAuthorizationRequests,
    /** RFC 9449 §5.2: every token request must carry a DPoP proof. */
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    ...apisJson(views.apis.get(client.clientId) ?? []),
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
  };
}

export type ClientJson = ReturnType<typeof clientJson>;

/** The JSON of one client, read with what it needs. */
export async function oneClientJson(store: Store, client: ClientRecord): Promise<ClientJson> {
  return clientJson(client, await clientViews(store, [client]));
}

/** `idp client show` as text: one `field: value` line each, then the keys and APIs spelled out. */
export function clientText(json: ClientJson): string {
  const { jwks, apis, introspect_apis: introspected, ...fields } = json;
  const lines = Object.entries(fields).map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(' ') : String(value ?? '')}`);
  const keys = jwks === null ? [] : jwksKeys(JSON.stringify(jwks));
  lines.push(keys.length ? 'keys:' : 'keys: (none)', ...keys.map((key) => `  ${describeKey(key)}`));
  lines.push(apis.length ? 'apis:' : 'apis: (none)', ...apis.map((api) => `  ${api.identifier}\t${api.scopes === null ? '(all scopes)' : api.scopes.join(' ')}`));
  if (introspected.length) lines.push('introspects:', ...introspected.map((api) => `  ${api.identifier}`));
  return lines.join('\n');
}
