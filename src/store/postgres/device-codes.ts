// RFC 8628 device authorizations on PostgreSQL (issue 22, migration 0013). Each decision and the spending of a
// code is one conditional UPDATE: of concurrent callers the first takes the row lock, the others wait for it,
// re-check the WHERE clause against the committed row (READ COMMITTED) and match nothing.
import type { DeviceApproval, DeviceCodeRecord, DevicePoll, NewDeviceCode } from '../records.js';
import { codeTaken, COLUMNS, INSERT_COLUMNS, QUALIFIED_COLUMNS, SLOW_DOWN_SECONDS, tooSoonCondition, toRecord, type DeviceCodeRow } from '../rows/device-codes.js';
import type { DeviceCodeRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('deviceCodes.insert', `INSERT INTO device_codes (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`);
const BY_HASH = statement('deviceCodes.byHash', `SELECT ${COLUMNS} FROM device_codes WHERE device_code_hash = $1`);
const PENDING_BY_USER_CODE = statement('deviceCodes.pendingByUserCode', `SELECT ${COLUMNS} FROM device_codes WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > $2`);
/**
 * One statement that also answers whether the poll came too soon, which RETURNING's values (those after the
 * update) no longer tell: the previous state is read with the row locked, so concurrent polls of one code line up
 * and each sees the one before it (FOR UPDATE in READ COMMITTED reads the latest committed version after the wait).
 */
const TOO_SOON = tooSoonCondition('$2::bigint', 'previous.last_polled_at', 'previous.poll_interval');
const POLL = statement(
  'deviceCodes.poll',
  'WITH previous AS (SELECT device_code_hash, last_polled_at, poll_interval FROM device_codes WHERE device_code_hash = $1 FOR UPDATE) ' +
    `UPDATE device_codes SET poll_interval = previous.poll_interval + CASE WHEN ${TOO_SOON} THEN ${SLOW_DOWN_SECONDS} ELSE 0 END, last_polled_at = $2 ` +
    `FROM previous WHERE device_codes.device_code_hash = previous.device_code_hash RETURNING ${QUALIFIED_COLUMNS}, ${TOO_SOON} AS too_soon`,
);
const APPROVE = statement(
  'deviceCodes.approve',
  "UPDATE device_codes SET status = 'approved', user_id = $1, session_id_hash = $2, sid = $3, amr = $4, idp = $8, auth_time = $5, decided_at = $6 " +
    `WHERE user_code_hash = $7 AND status = 'pending' AND expires_at > $6 RETURNING ${COLUMNS}`,
);
const DENY = statement('deviceCodes.deny', "UPDATE device_codes SET status = 'denied', decided_at = $1 WHERE user_code_hash = $2 AND status = 'pending' AND expires_at > $1");
const CONSUME = statement(
  'deviceCodes.consume',
  `UPDATE device_codes SET consumed_at = $1 WHERE device_code_hash = $2 AND status = 'approved' AND consumed_at IS NULL AND expires_at > $1 RETURNING ${COLUMNS}`,
);
// A pending authorization names nobody yet; an approved one the person's session may still spend goes.
const DELETE_FOR_USER = statement('deviceCodes.deleteForUser', 'DELETE FROM device_codes WHERE user_id = $1 AND consumed_at IS NULL');
const DELETE_EXPIRED = statement('deviceCodes.deleteExpired', 'DELETE FROM device_codes WHERE expires_at <= $1');

export class PostgresDeviceCodeRepository implements DeviceCodeRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(code: NewDeviceCode): Promise<void> {
    try {
      await query(this.pool, INSERT, [code.deviceCodeHash, code.userCodeHash, code.clientId, code.scope, JSON.stringify(code.resources), code.createdAt, code.expiresAt, code.interval]);
    } catch (error) {
      if (isUniqueViolation(error)) throw codeTaken();
      throw error;
    }
  }

  async find(deviceCodeHash: string): Promise<DeviceCodeRecord | null> {
    const row = (await query<DeviceCodeRow>(this.pool, BY_HASH, [deviceCodeHash])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findPending(userCodeHash: string, now: number): Promise<DeviceCodeRecord | null> {
    const row = (await query<DeviceCodeRow>(this.pool, PENDING_BY_USER_CODE, [userCodeHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async poll(deviceCodeHash: string, now: number): Promise<DevicePoll | null> {
    const row = (await query<DeviceCodeRow & { too_soon: boolean }>(this.pool, POLL, [deviceCodeHash, now])).rows[0];
    return row ? { record: toRecord(row), tooSoon: row.too_soon } : null;
  }

  async approve(userCodeHash: string, approval: DeviceApproval, now: number): Promise<DeviceCodeRecord | null> {
    const values = [approval.userId, approval.sessionIdHash, approval.sid, JSON.stringify(approval.amr), approval.authTime, now, userCodeHash, approval.idp ?? null];
    const row = (await query<DeviceCodeRow>(this.pool, APPROVE, values)).rows[0];
    return row ? toRecord(row) : null;
  }

  async deny(userCodeHash: string, now: number): Promise<boolean> {
    return ((await query(this.pool, DENY, [now, userCodeHash])).rowCount ?? 0) > 0;
  }

  async consume(deviceCodeHash: string, now: number): Promise<DeviceCodeRecord | null> {
    const row = (await query<DeviceCodeRow>(this.pool, CONSUME, [now, deviceCodeHash])).rows[0];
    return row ? toRecord(row) : null;
  }

  async deleteForUser(userId: string): Promise<number> {
    return (await query(this.pool, DELETE_FOR_USER, [userId])).rowCount ?? 0;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
