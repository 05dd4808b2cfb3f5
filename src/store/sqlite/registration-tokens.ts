// Initial access tokens for dynamic client registration, on SQLite (issue 24, migration 0015).
import type { NewRegistrationToken, RegistrationTokenRecord } from '../records.js';
import { COLUMNS, tokenTaken, toRecord, toValues, USABLE, type RegistrationTokenRow, type RegistrationTokenValues } from '../rows/registration-tokens.js';
import type { RegistrationTokenRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

const USABLE_AT = USABLE.replace('{now}', '@now');

export class SqliteRegistrationTokenRepository implements RegistrationTokenRepository {
  private readonly insertStmt;
  private readonly usableStmt;
  private readonly useStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<RegistrationTokenValues>(`INSERT INTO registration_tokens (${COLUMNS}) VALUES (?, ?, ?, 0, ?, ?, ?)`);
    this.usableStmt = db.prepare<[{ hash: string; now: number }], RegistrationTokenRow>(`SELECT ${COLUMNS} FROM registration_tokens WHERE token_hash = @hash AND ${USABLE_AT}`);
    // One conditional statement: of any number of registrations racing for a token's last use, exactly one sees a
    // row (the writes are serialised; the second finds uses_left at 0).
    this.useStmt = db.prepare<[{ hash: string; now: number }], RegistrationTokenRow>(
      `UPDATE registration_tokens SET uses_left = uses_left - 1, used = used + 1 WHERE token_hash = @hash AND ${USABLE_AT} RETURNING ${COLUMNS}`,
    );
    this.listStmt = db.prepare<[], RegistrationTokenRow>(`SELECT ${COLUMNS} FROM registration_tokens ORDER BY created_at DESC, id DESC`);
    this.deleteStmt = db.prepare<[string]>('DELETE FROM registration_tokens WHERE id = ?');
    // registration_tokens_by_expiry; a token without an expiry (NULL) never goes this way.
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM registration_tokens WHERE expires_at <= ?');
  }

  async create(token: NewRegistrationToken): Promise<RegistrationTokenRecord> {
    try {
      this.insertStmt.run(...toValues(token));
    } catch (error) {
      if (isUniqueViolation(error)) throw tokenTaken(token);
      throw error;
    }
    return { ...token, used: 0 };
  }

  async findUsable(tokenHash: string, now: number): Promise<RegistrationTokenRecord | null> {
    const row = this.usableStmt.get({ hash: tokenHash, now });
    return row ? toRecord(row) : null;
  }

  async use(tokenHash: string, now: number): Promise<RegistrationTokenRecord | null> {
    const row = this.useStmt.get({ hash: tokenHash, now });
    return row ? toRecord(row) : null;
  }

  async list(): Promise<RegistrationTokenRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }

  /** A token counts as expired from its expires_at on, as in findUsable and use. */
  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
