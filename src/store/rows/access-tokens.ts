// The access tokens table's columns and how a row becomes a record, shared by every engine.
import type { AccessTokenFormat, AccessTokenRecord, NewAccessToken } from '../records.js';

export interface AccessTokenRow {
  jti: string;
  grant_id: string;
  client_id: string;
  /** NULL for a machine's token (client_credentials, issue 22). */
  user_id: string | null;
  session_id_hash: string | null;
  kid: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  format: string;
  /** NULL only in rows written before migration 0013. */
  audience: string | null;
  scope: string | null;
  auth_time: number | null;
  /** Issue 28 (migration 0018): the DPoP key's thumbprint (RFC 7638); NULL for a bearer token. */
  jkt: string | null;
}

export const COLUMNS = 'jti, grant_id, client_id, user_id, session_id_hash, kid, created_at, expires_at, revoked_at, format, audience, scope, auth_time, jkt';

/** Anything but 'opaque' is read as 'jwt': the column's CHECK allows nothing else. */
function format(column: string): AccessTokenFormat {
  return column === 'opaque' ? 'opaque' : 'jwt';
}

export function toRecord(row: AccessTokenRow): AccessTokenRecord {
  return {
    jti: row.jti,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    kid: row.kid,
    format: format(row.format),
    audience: row.audience,
    scope: row.scope,
    authTime: row.auth_time,
    jkt: row.jkt,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export type AccessTokenValues = [
  jti: string,
  grantId: string,
  clientId: string,
  userId: string | null,
  sessionIdHash: string | null,
  kid: string | null,
  createdAt: number,
  expiresAt: number,
  revokedAt: null,
  format: AccessTokenFormat,
  audience: string | null,
  scope: string | null,
  authTime: number | null,
  jkt: string | null,
];

/** A new token's values in COLUMNS order, for every engine's INSERT; a new token is not revoked (revoked_at NULL). */
export function toValues(token: NewAccessToken): AccessTokenValues {
  return [
    token.jti,
    token.grantId,
    token.clientId,
    token.userId,
    token.sessionIdHash,
    token.kid,
    token.createdAt,
    token.expiresAt,
    null,
    token.format,
    token.audience,
    token.scope,
    token.authTime,
    token.jkt ?? null,
  ];
}
