// An administrator's personal tokens for the management API, on SQLite (issue 26, migration 0017).
import type { AdminTokenRecord, NewAdminToken } from '../records.js';
import { COLUMNS, createdRecord, INSERT_COLUMNS, LIVE, tokenTaken, toRecord, toValues, type AdminTokenRow, type AdminTokenValues } from '../rows/admin-tokens.js';
import type { AdminTokenRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

const LIVE_AT = LIVE.replace('{now}', '@now');

export class SqliteAdminTokenRepository implements AdminTokenRepository {
  private readonly insertStmt;
  private readonly liveStmt;
  private readonly byIdStmt;
  private readonly listStmt;
  private readonly revokeStmt;
  private readonly revokeForUserStmt;
  private readonly touchStmt;
  private readonly deleteEndedStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<AdminTokenValues>(`INSERT INTO admin_tokens (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    // token_hash is UNIQUE, so this is an index lookup: the token is found by its hash, never compared in the open.
    this.liveStmt = db.prepare<[{ hash: string; now: number }], AdminTokenRow>(`SELECT ${COLUMNS} FROM admin_tokens WHERE token_hash = @hash AND ${LIVE_AT}`);
    this.byIdStmt = db.prepare<[string], AdminTokenRow>(`SELECT ${COLUMNS} FROM admin_tokens WHERE id = ?`);
    this.listStmt = db.prepare<[], AdminTokenRow>(`SELECT ${COLUMNS} FROM admin_tokens ORDER BY created_at DESC, id DESC`);
    // One conditional write: of two revocations at once, one sees the live row.
    this.revokeStmt = db.prepare<[{ id: string; now: number }]>(`UPDATE admin_tokens SET revoked_at = @now WHERE id = @id AND ${LIVE_AT}`);
    this.revokeForUserStmt = db.prepare<[{ user: string; now: number }]>(`UPDATE admin_tokens SET revoked_at = @now WHERE user_id = @user AND ${LIVE_AT}`);
    // Never moves backwards (two nodes recording uses out of order).
    this.touchStmt = db.prepare<[{ id: string; now: number }]>('UPDATE admin_tokens SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @now)');
    this.deleteEndedStmt = db.prepare<[{ before: number }]>('DELETE FROM admin_tokens WHERE expires_at < @before OR revoked_at < @before');
  }

  async create(token: NewAdminToken): Promise<AdminTokenRecord> {
    try {
      this.insertStmt.run(...toValues(token));
    } catch (error) {
      if (isUniqueViolation(error)) throw tokenTaken(token);
      throw error;
    }
    return createdRecord(token);
  }

  async findLive(tokenHash: string, now: number): Promise<AdminTokenRecord | null> {
    const row = this.liveStmt.get({ hash: tokenHash, now });
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<AdminTokenRecord | null> {
    const row = this.byIdStmt.get(id);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<AdminTokenRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return this.revokeStmt.run({ id, now }).changes > 0;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return this.revokeForUserStmt.run({ user: userId, now }).changes;
  }

  async touch(id: string, now: number): Promise<void> {
    this.touchStmt.run({ id, now });
  }

  async deleteEnded(before: number): Promise<number> {
    return this.deleteEndedStmt.run({ before }).changes;
  }
}
