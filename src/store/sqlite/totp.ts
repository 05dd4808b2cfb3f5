// TOTP authenticators on SQLite.
import type { NewTotpCredential, TotpCredentialRecord } from '../records.js';
import type { TotpRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, toValues, type TotpRow, type TotpValues } from '../rows/totp.js';

export class SqliteTotpRepository implements TotpRepository {
  private readonly beginStmt;
  private readonly byUser;
  private readonly confirmStmt;
  private readonly useStepStmt;
  private readonly deleteStmt;

  constructor(db: SqliteDatabase) {
    // One statement: a pending enrolment is replaced, a confirmed authenticator is left alone (the DO UPDATE's
    // WHERE fails, and SQLite counts no change), so a second enrolment never overwrites a working one.
    this.beginStmt = db.prepare<TotpValues>(
      `INSERT INTO totp_credentials (${COLUMNS}) VALUES (?, ?, NULL, -1, ?) ON CONFLICT (user_id) DO UPDATE SET ` +
        'sealed_secret = excluded.sealed_secret, last_used_step = -1, created_at = excluded.created_at WHERE totp_credentials.confirmed_at IS NULL',
    );
    this.byUser = db.prepare<[string], TotpRow>(`SELECT ${COLUMNS} FROM totp_credentials WHERE user_id = ?`);
    this.confirmStmt = db.prepare<[number, number, string]>('UPDATE totp_credentials SET confirmed_at = ?, last_used_step = ? WHERE user_id = ? AND confirmed_at IS NULL');
    // One conditional statement, so of any number of concurrent uses of one code exactly one moves the step on
    // (RFC 6238 §5.2: a code is accepted once); a lower step, a code from before the last one accepted, fails too.
    this.useStepStmt = db.prepare<[number, string, number]>('UPDATE totp_credentials SET last_used_step = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_used_step < ?');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM totp_credentials WHERE user_id = ?');
  }

  async begin(credential: NewTotpCredential): Promise<boolean> {
    return this.beginStmt.run(...toValues(credential)).changes > 0;
  }

  async find(userId: string): Promise<TotpCredentialRecord | null> {
    const row = this.byUser.get(userId);
    return row ? toRecord(row) : null;
  }

  async confirm(userId: string, step: number, now: number): Promise<boolean> {
    return this.confirmStmt.run(now, step, userId).changes > 0;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    return this.useStepStmt.run(step, userId, step).changes > 0;
  }

  async remove(userId: string): Promise<boolean> {
    return this.deleteStmt.run(userId).changes > 0;
  }
}
