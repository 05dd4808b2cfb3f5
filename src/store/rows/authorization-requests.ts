// The authorization requests table's columns and how a row becomes a record, shared by every engine.
import type { AuthorizationRequestRecord } from '../records.js';

export interface AuthorizationRequestRow {
  id_hash: string;
  browser_hash: string;
  client_id: string;
  params: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export const COLUMNS = 'id_hash, browser_hash, client_id, params, created_at, expires_at, consumed_at';

export function toRecord(row: AuthorizationRequestRow): AuthorizationRequestRecord {
  return {
    idHash: row.id_hash,
    browserHash: row.browser_hash,
    clientId: row.client_id,
    params: JSON.parse(row.params) as Record<string, string>,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}
