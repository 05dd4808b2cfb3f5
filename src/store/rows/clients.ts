// The clients table's columns, its patchable fields and how a row becomes a record, shared by every engine.
import type { ClientPatch, ClientRecord, ClientType, TokenEndpointAuthMethod } from '../records.js';

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
  created_at: number;
  updated_at: number;
}

export const COLUMNS =
  'client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, ' +
  'post_logout_redirect_uris, backchannel_logout_uri, grant_types, scopes, pkce_required, require_mfa, refresh_reuse_grace, created_at, updated_at';

export const PATCH_COLUMNS: Record<keyof ClientPatch, string> = {
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
};

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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
