// Password reset and email verification tokens on SQLite.
import type { AccountTokenPurpose, AccountTokenRecord, NewAccountToken } from '../records.js';
import type { AccountTokenRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, toValues, type AccountTokenRow, type AccountTokenValues } from '../rows/account-tokens.js';

export class SqliteAccountTokenRepository implements AccountTokenRepository {
  private readonly insertStmt;
  private readonly liveByHash;
  private readonly consumeStmt;
  private readonly revokeForUserStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<AccountTokenValues>(`INSERT INTO account_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)`);
    this.liveByHash = db.prepare<[string, AccountTokenPurpose, number], AccountTokenRow>(
      `SELECT ${COLUMNS} FROM account_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`,
    );
    // One conditional statement, so of any number of concurrent users of a link exactly one sees a row.
    this.consumeStmt = db.prepare<[number, string, AccountTokenPurpose, number], AccountTokenRow>(
      `UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    // Marked used rather than deleted, as codes are: a replaced link then reads like a used one.
    this.revokeForUserStmt = db.prepare<[number, string, AccountTokenPurpose]>('UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL');
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM account_tokens WHERE expires_at <= ?');
  }

  async create(token: NewAccountToken): Promise<void> {
    this.insertStmt.run(...toValues(token));
  }

  async findLive(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<AccountTokenRecord | null> {
    const row = this.liveByHash.get(tokenHash, purpose, now);
    return row ? toRecord(row) : null;
  }

  async consume(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<AccountTokenRecord | null> {
    const row = this.consumeStmt.get(now, tokenHash, purpose, now);
    return row ? toRecord(row) : null;
  }

  async revokeForUser(userId: string, purpose: AccountTokenPurpose, now: number): Promise<number> {
    return this.revokeForUserStmt.run(now, userId, purpose).changes;
  }

  /** A token counts as expired from its expires_at on, as in consume. */
  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
