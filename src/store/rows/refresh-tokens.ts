// The refresh tokens table's columns and how a row becomes a record, shared by every engine.
import type { RefreshTokenRecord } from '../records.js';

export interface RefreshTokenRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  session_id_hash: string | null;
  sid: string | null;
  amr: string;
  scope: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
  grant_expires_at: number | null;
  kid: string | null;
  rotated_at: number | null;
  revoked_at: number | null;
  /** A JSON array of API identifiers (RFC 8707), '[]' for none. */
  resources: string;
  /** The session's upstream provider, carried from the code (migration 0014); NULL for a sign-in at Gatehouse itself. */
  idp: string | null;
}

export const COLUMNS =
  'token_hash, grant_id, client_id, user_id, session_id_hash, sid, amr, scope, auth_time, created_at, expires_at, grant_expires_at, kid, rotated_at, revoked_at, resources, idp';

export function toRecord(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    sid: row.sid,
    amr: JSON.parse(row.amr) as string[],
    idp: row.idp,
    scope: row.scope,
    authTime: row.auth_time,
    resources: JSON.parse(row.resources) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    grantExpiresAt: row.grant_expires_at ?? row.expires_at,
    kid: row.kid,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}
