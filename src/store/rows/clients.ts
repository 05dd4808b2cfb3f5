// The clients table's columns, its patchable fields and how a row becomes a record, shared by every engine.
import { NotFoundError } from '../../errors.js';
import type { AccessPolicy, ClientOrigin, ClientPatch, ClientRecord, ClientType, GroupsClaimMode, OptionalClientField, TokenEndpointAuthMethod } from '../records.js';

export interface ClientRow {
  client_id: string;
  name: string;
  client_type: string;
  secret_hash: string | null;
  token_endpoint_auth_method: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  backchannel_logout_uri: string | null;
  grant_types: string;
  scopes: string;
  /** These two are 0 or 1 on SQLite, booleans on PostgreSQL. */
  pkce_required: number | boolean;
  require_mfa: number | boolean;
  refresh_reuse_grace: number | null;
  access_policy: string;
  groups_claim: string;
  initiate_login_uri: string | null;
  logo_uri: string | null;
  access_contact: string | null;
  /** private_key_jwt (issue 22): an inline public JWKS (JSON text) or where to fetch one, never both. */
  jwks: string | null;
  jwks_uri: string | null;
  /** Issue 24 (migration 0015): 0 or 1 on SQLite, a boolean on PostgreSQL. */
  third_party: number | boolean;
  origin: string;
  client_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  registration_token_hash: string | null;
  /** Issue 28 (migration 0018): 0 or 1 on SQLite, booleans on PostgreSQL. */
  require_pushed_authorization_requests: number | boolean;
  dpop_bound_access_tokens: number | boolean;
  created_at: number;
  updated_at: number;
  /** Issue 26 (migration 0017): 1 at the insert (the column's default), one more at every update. */
  version: number;
  /** The client's client_groups rows of each role, as a JSON array of group ids (read in the same query). */
  access_groups: string;
  claim_groups: string;
}

/** The columns of the clients table itself, in the order an INSERT gives them. */
export const COLUMNS =
  'client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, ' +
  'post_logout_redirect_uris, backchannel_logout_uri, grant_types, scopes, pkce_required, require_mfa, refresh_reuse_grace, ' +
  'access_policy, groups_claim, initiate_login_uri, logo_uri, access_contact, jwks, jwks_uri, ' +
  'third_party, origin, client_uri, policy_uri, tos_uri, registration_token_hash, ' +
  'require_pushed_authorization_requests, dpop_bound_access_tokens, created_at, updated_at';

export const INSERT_PLACEHOLDERS = COLUMNS.split(',').length;

/**
 * What a read selects: the columns (with the version, which an INSERT leaves to its default) and each role's group
 * ids, aggregated by a correlated subquery so that a client (on the token path, at every request) is one query,
 * however many groups it names. `groupIds` is the engine's aggregate of the group ids of one role: SQLite's
 * json_group_array, PostgreSQL's json_agg.
 */
export function selectColumns(groupIds: (role: 'access' | 'claim') => string): string {
  const own = `${COLUMNS}, version`
    .split(',')
    .map((column) => `clients.${column.trim()}`)
    .join(', ');
  return `${own}, ${groupIds('access')} AS access_groups, ${groupIds('claim')} AS claim_groups`;
}

/** A column's value as both drivers take it (SQLite's turns booleans into 0 and 1 first). */
export type ColumnValue = string | number | boolean | null;

/** A new client's row in COLUMNS order: lists as JSON text, a groups-claim mode as its text (the version is the default, 1). */
export function insertValues(record: ClientRecord): ColumnValue[] {
  return [
    record.clientId,
    record.name,
    record.clientType,
    record.secretHash,
    record.tokenEndpointAuthMethod,
    JSON.stringify(record.redirectUris),
    JSON.stringify(record.postLogoutRedirectUris),
    record.backchannelLogoutUri,
    JSON.stringify(record.grantTypes),
    JSON.stringify(record.scopes),
    record.pkceRequired,
    record.requireMfa,
    record.refreshReuseGrace,
    record.accessPolicy,
    groupsClaimColumn(record.groupsClaim),
    record.initiateLoginUri,
    record.logoUri,
    record.accessContact,
    record.jwks,
    record.jwksUri,
    record.thirdParty,
    record.origin,
    record.clientUri,
    record.policyUri,
    record.tosUri,
    record.registrationTokenHash,
    record.requirePushedAuthorizationRequests,
    record.dpopBoundAccessTokens,
    record.createdAt,
    record.updatedAt,
  ];
}

/** The patchable fields stored in a column of their own; the two group lists are client_groups rows. */
export type ColumnPatch = Omit<ClientPatch, 'accessGroups' | 'claimGroups'>;

export const PATCH_COLUMNS: Record<keyof ColumnPatch, string> = {
  name: 'name',
  clientType: 'client_type',
  secretHash: 'secret_hash',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  redirectUris: 'redirect_uris',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
  backchannelLogoutUri: 'backchannel_logout_uri',
  grantTypes: 'grant_types',
  scopes: 'scopes',
  pkceRequired: 'pkce_required',
  requireMfa: 'require_mfa',
  refreshReuseGrace: 'refresh_reuse_grace',
  accessPolicy: 'access_policy',
  groupsClaim: 'groups_claim',
  initiateLoginUri: 'initiate_login_uri',
  logoUri: 'logo_uri',
  accessContact: 'access_contact',
  jwks: 'jwks',
  jwksUri: 'jwks_uri',
  thirdParty: 'third_party',
  origin: 'origin',
  clientUri: 'client_uri',
  policyUri: 'policy_uri',
  tosUri: 'tos_uri',
  registrationTokenHash: 'registration_token_hash',
  requirePushedAuthorizationRequests: 'require_pushed_authorization_requests',
  dpopBoundAccessTokens: 'dpop_bound_access_tokens',
};

/** The roles a client names groups in, with the record field holding each list. */
export const GROUP_ROLES = [
  { role: 'access', field: 'accessGroups' },
  { role: 'claim', field: 'claimGroups' },
] as const;

const PREFIX = 'prefix:';

/** The column form of a groups-claim mode: 'all', 'listed' or 'prefix:<P>'. */
export function groupsClaimColumn(mode: GroupsClaimMode): string {
  return mode.kind === 'prefix' ? `${PREFIX}${mode.prefix}` : mode.kind;
}

/**
 * The mode a column holds. Anything else (the column has no CHECK: the prefix is free text) is read as 'listed',
 * which releases the fewest groups: a damaged row fails closed rather than releasing every group of the person.
 */
export function groupsClaimMode(column: string): GroupsClaimMode {
  if (column === 'all' || column === 'listed') return { kind: column };
  if (column.startsWith(PREFIX) && column.length > PREFIX.length) return { kind: 'prefix', prefix: column.slice(PREFIX.length) };
  return { kind: 'listed' };
}

/** Each group id once, in the order reads give them (bytewise, as both engines sort the ids). */
export function groupIdList(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A NewClient's optional fields with their defaults: everyone, every group, none named, no URIs, no keys,
 * (issue 24) the organisation's own application, created by an administrator, without a registration token, and
 * (issue 28) neither pushed requests nor DPoP required.
 */
export function accessDefaults(client: Partial<Pick<ClientRecord, OptionalClientField>>) {
  return {
    accessPolicy: client.accessPolicy ?? 'everyone',
    accessGroups: groupIdList(client.accessGroups ?? []),
    groupsClaim: client.groupsClaim ?? { kind: 'all' },
    claimGroups: groupIdList(client.claimGroups ?? []),
    initiateLoginUri: client.initiateLoginUri ?? null,
    logoUri: client.logoUri ?? null,
    accessContact: client.accessContact ?? null,
    jwks: client.jwks ?? null,
    jwksUri: client.jwksUri ?? null,
    thirdParty: client.thirdParty ?? false,
    origin: client.origin ?? 'admin',
    clientUri: client.clientUri ?? null,
    policyUri: client.policyUri ?? null,
    tosUri: client.tosUri ?? null,
    registrationTokenHash: client.registrationTokenHash ?? null,
    // Issue 28: neither PAR nor DPoP required unless asked for.
    requirePushedAuthorizationRequests: client.requirePushedAuthorizationRequests ?? false,
    dpopBoundAccessTokens: client.dpopBoundAccessTokens ?? false,
  } satisfies Partial<ClientRecord>;
}

/**
 * Anything but 'admin' (the column's CHECK allows only 'dynamic' besides) is read as 'dynamic', the origin with the
 * narrower rules (private addresses refused): fail closed.
 */
function origin(column: string): ClientOrigin {
  return column === 'admin' ? 'admin' : 'dynamic';
}

/** Anything but 'everyone' (a damaged row) admits only the listed groups' members: fail closed. */
function accessPolicy(column: string): AccessPolicy {
  return column === 'everyone' ? 'everyone' : 'groups';
}

export function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    clientType: row.client_type as ClientType,
    secretHash: row.secret_hash,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    backchannelLogoutUri: row.backchannel_logout_uri,
    grantTypes: JSON.parse(row.grant_types) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    pkceRequired: Boolean(row.pkce_required),
    requireMfa: Boolean(row.require_mfa),
    refreshReuseGrace: row.refresh_reuse_grace,
    accessPolicy: accessPolicy(row.access_policy),
    accessGroups: groupIdList(JSON.parse(row.access_groups) as string[]),
    groupsClaim: groupsClaimMode(row.groups_claim),
    claimGroups: groupIdList(JSON.parse(row.claim_groups) as string[]),
    initiateLoginUri: row.initiate_login_uri,
    logoUri: row.logo_uri,
    accessContact: row.access_contact,
    jwks: row.jwks,
    jwksUri: row.jwks_uri,
    thirdParty: Boolean(row.third_party),
    origin: origin(row.origin),
    clientUri: row.client_uri,
    policyUri: row.policy_uri,
    tosUri: row.tos_uri,
    registrationTokenHash: row.registration_token_hash,
    requirePushedAuthorizationRequests: Boolean(row.require_pushed_authorization_requests),
    dpopBoundAccessTokens: Boolean(row.dpop_bound_access_tokens),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** The column form of one patched value: arrays as JSON text, a groups-claim mode as its text. */
export function patchValue(key: keyof ColumnPatch, value: ColumnPatch[keyof ColumnPatch]): ColumnValue {
  if (key === 'groupsClaim') return groupsClaimColumn(value as GroupsClaimMode);
  if (Array.isArray(value)) return JSON.stringify(value);
  return (value as string | number | boolean | null | undefined) ?? null;
}

/** A client rule naming a group that is not there (or was deleted meanwhile): nothing is written. */
export function unknownGroup(id: string | null): NotFoundError {
  return new NotFoundError(id === null ? 'a group the application names no longer exists' : `there is no group with the id ${id}`);
}
