// The device_codes table's columns, how a row becomes a record and the conditions of its one-winner writes,
// shared by every engine (RFC 8628, issue 22, migration 0013).
import { ConflictError } from '../../errors.js';
import type { DeviceCodeRecord, DeviceCodeStatus } from '../records.js';

export interface DeviceCodeRow {
  device_code_hash: string;
  user_code_hash: string;
  client_id: string;
  scope: string;
  /** JSON array of API identifiers. */
  resources: string;
  created_at: number;
  expires_at: number;
  poll_interval: number;
  last_polled_at: number | null;
  status: string;
  user_id: string | null;
  session_id_hash: string | null;
  sid: string | null;
  /** JSON array, written by the approval; NULL before it. */
  amr: string | null;
  /** The approving session's upstream provider (migration 0014); NULL before the approval and for a sign-in at Gatehouse. */
  idp: string | null;
  auth_time: number | null;
  decided_at: number | null;
  consumed_at: number | null;
}

export const COLUMNS =
  'device_code_hash, user_code_hash, client_id, scope, resources, created_at, expires_at, poll_interval, last_polled_at, status, ' +
  'user_id, session_id_hash, sid, amr, idp, auth_time, decided_at, consumed_at';

/** The columns through the table's name (a poll on PostgreSQL joins the row's previous state). */
export const QUALIFIED_COLUMNS = COLUMNS.split(',')
  .map((column) => `device_codes.${column.trim()}`)
  .join(', ');

/** The columns a new code writes; the rest start NULL (status 'pending', its default). */
export const INSERT_COLUMNS = 'device_code_hash, user_code_hash, client_id, scope, resources, created_at, expires_at, poll_interval';

/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval. */
export const SLOW_DOWN_SECONDS = 5;

/**
 * A poll is too soon when the previous one was less than the interval ago (both read before this poll writes).
 * `now` is a parameter placeholder of the engine; the interval is in seconds, the times in milliseconds.
 */
export function tooSoonCondition(now: string, lastPolledAt = 'last_polled_at', interval = 'poll_interval'): string {
  return `(${lastPolledAt} IS NOT NULL AND ${now} - ${lastPolledAt} < ${interval} * 1000)`;
}

/** Anything unexpected reads as 'denied' (the CHECK allows only these three): a damaged row grants nothing. */
function status(column: string): DeviceCodeStatus {
  return column === 'pending' || column === 'approved' ? column : 'denied';
}

export function toRecord(row: DeviceCodeRow): DeviceCodeRecord {
  return {
    deviceCodeHash: row.device_code_hash,
    userCodeHash: row.user_code_hash,
    clientId: row.client_id,
    scope: row.scope,
    resources: JSON.parse(row.resources) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    interval: row.poll_interval,
    lastPolledAt: row.last_polled_at,
    status: status(row.status),
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    sid: row.sid,
    amr: row.amr === null ? [] : (JSON.parse(row.amr) as string[]),
    idp: row.idp,
    authTime: row.auth_time,
    decidedAt: row.decided_at,
    consumedAt: row.consumed_at,
  };
}

export function codeTaken(): ConflictError {
  return new ConflictError('a device authorization with this code already exists');
}
