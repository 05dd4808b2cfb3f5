// The sessions table's columns and how a row becomes a record, shared by every engine.
import type { SessionRecord } from '../records.js';

export interface SessionRow {
  id_hash: string;
  sid: string;
  user_id: string;
  amr: string;
  auth_time: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  reauthenticated_at: number | null;
  /** The upstream provider's slug (migration 0014); NULL for a sign-in at Gatehouse itself. */
  idp: string | null;
}

export const COLUMNS = 'id_hash, sid, user_id, amr, auth_time, created_at, last_seen_at, expires_at, reauthenticated_at, idp';

export function toRecord(row: SessionRow): SessionRecord {
  return {
    idHash: row.id_hash,
    sid: row.sid,
    userId: row.user_id,
    amr: JSON.parse(row.amr) as string[],
    authTime: row.auth_time,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    reauthenticatedAt: row.reauthenticated_at,
    idp: row.idp,
  };
}

export type SessionValues = [string, string, string, string, number, number, number, number, number | null, string | null];

/** A session's values in COLUMNS order. */
export function toValues(session: SessionRecord): SessionValues {
  return [
    session.idHash,
    session.sid,
    session.userId,
    JSON.stringify(session.amr),
    session.authTime,
    session.createdAt,
    session.lastSeenAt,
    session.expiresAt,
    session.reauthenticatedAt ?? null,
    session.idp ?? null,
  ];
}
