// The access tokens table's columns and how a row becomes a record, shared by every engine.
import type { AccessTokenRecord } from '../records.js';

export interface AccessTokenRow {
  jti: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  session_id_hash: string | null;
  kid: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export const COLUMNS = 'jti, grant_id, client_id, user_id, session_id_hash, kid, created_at, expires_at, revoked_at';

export function toRecord(row: AccessTokenRow): AccessTokenRecord {
  return {
    jti: row.jti,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    kid: row.kid,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
