// RFC 8628 device authorizations on SQLite (issue 22, migration 0013). Each decision and the spending of a code
// is one conditional UPDATE: of any number of concurrent callers exactly one sees a row.
import type { DeviceApproval, DeviceCodeRecord, DevicePoll, NewDeviceCode } from '../records.js';
import { codeTaken, COLUMNS, INSERT_COLUMNS, SLOW_DOWN_SECONDS, tooSoonCondition, toRecord, type DeviceCodeRow } from '../rows/device-codes.js';
import type { DeviceCodeRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

export class SqliteDeviceCodeRepository implements DeviceCodeRepository {
  private readonly insertStmt;
  private readonly byHash;
  private readonly pendingByUserCode;
  private readonly tooSoonStmt;
  private readonly pollStmt;
  private readonly pollTx;
  private readonly approveStmt;
  private readonly denyStmt;
  private readonly consumeStmt;
  private readonly deleteForUserStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO device_codes (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byHash = db.prepare<[string], DeviceCodeRow>(`SELECT ${COLUMNS} FROM device_codes WHERE device_code_hash = ?`);
    this.pendingByUserCode = db.prepare<[string, number], DeviceCodeRow>(`SELECT ${COLUMNS} FROM device_codes WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`);
    // SQLite's RETURNING gives only the values after the update, which no longer tell whether the poll came too
    // soon: the previous state is read first, in the same IMMEDIATE transaction (nothing writes in between).
    this.tooSoonStmt = db.prepare<{ hash: string; now: number }, number>(`SELECT ${tooSoonCondition('@now')} FROM device_codes WHERE device_code_hash = @hash`).pluck();
    this.pollStmt = db.prepare<{ hash: string; now: number; grow: number }, DeviceCodeRow>(
      `UPDATE device_codes SET poll_interval = poll_interval + @grow, last_polled_at = @now WHERE device_code_hash = @hash RETURNING ${COLUMNS}`,
    );
    this.pollTx = db.transaction((hash: string, now: number): DevicePoll | null => {
      const tooSoon = this.tooSoonStmt.get({ hash, now });
      if (tooSoon === undefined) return null;
      const row = this.pollStmt.get({ hash, now, grow: tooSoon ? SLOW_DOWN_SECONDS : 0 });
      return row ? { record: toRecord(row), tooSoon: Boolean(tooSoon) } : null;
    });
    this.approveStmt = db.prepare<[string, string | null, string | null, string, string | null, number, number, string, number], DeviceCodeRow>(
      "UPDATE device_codes SET status = 'approved', user_id = ?, session_id_hash = ?, sid = ?, amr = ?, idp = ?, auth_time = ?, decided_at = ? " +
        `WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    this.denyStmt = db.prepare<[number, string, number]>("UPDATE device_codes SET status = 'denied', decided_at = ? WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?");
    this.consumeStmt = db.prepare<[number, string, number], DeviceCodeRow>(
      `UPDATE device_codes SET consumed_at = ? WHERE device_code_hash = ? AND status = 'approved' AND consumed_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    // A pending authorization names nobody yet; an approved one the person's session may still spend goes.
    this.deleteForUserStmt = db.prepare<[string]>('DELETE FROM device_codes WHERE user_id = ? AND consumed_at IS NULL');
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM device_codes WHERE expires_at <= ?');
  }

  async create(code: NewDeviceCode): Promise<void> {
    try {
      this.insertStmt.run(code.deviceCodeHash, code.userCodeHash, code.clientId, code.scope, JSON.stringify(code.resources), code.createdAt, code.expiresAt, code.interval);
    } catch (error) {
      if (isUniqueViolation(error)) throw codeTaken();
      throw error;
    }
  }

  async find(deviceCodeHash: string): Promise<DeviceCodeRecord | null> {
    const row = this.byHash.get(deviceCodeHash);
    return row ? toRecord(row) : null;
  }

  async findPending(userCodeHash: string, now: number): Promise<DeviceCodeRecord | null> {
    const row = this.pendingByUserCode.get(userCodeHash, now);
    return row ? toRecord(row) : null;
  }

  async poll(deviceCodeHash: string, now: number): Promise<DevicePoll | null> {
    return this.pollTx.immediate(deviceCodeHash, now);
  }

  async approve(userCodeHash: string, approval: DeviceApproval, now: number): Promise<DeviceCodeRecord | null> {
    const row = this.approveStmt.get(approval.userId, approval.sessionIdHash, approval.sid, JSON.stringify(approval.amr), approval.idp ?? null, approval.authTime, now, userCodeHash, now);
    return row ? toRecord(row) : null;
  }

  async deny(userCodeHash: string, now: number): Promise<boolean> {
    return this.denyStmt.run(now, userCodeHash, now).changes > 0;
  }

  async consume(deviceCodeHash: string, now: number): Promise<DeviceCodeRecord | null> {
    const row = this.consumeStmt.get(now, deviceCodeHash, now);
    return row ? toRecord(row) : null;
  }

  async deleteForUser(userId: string): Promise<number> {
    return this.deleteForUserStmt.run(userId).changes;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
