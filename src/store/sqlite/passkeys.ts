// Passkeys (WebAuthn credentials) on SQLite.
import { ConflictError } from '../../errors.js';
import type { NewPasskey, PasskeyRecord } from '../records.js';
import type { PasskeyRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, toValues, type PasskeyRow, type PasskeyValues } from '../rows/passkeys.js';

export class SqlitePasskeyRepository implements PasskeyRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly byUser;
  private readonly recordUseStmt;
  private readonly renameStmt;
  private readonly deleteStmt;
  private readonly deleteForUserStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<PasskeyValues<number>>(`INSERT INTO passkeys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`);
    this.byId = db.prepare<[string], PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE credential_id = ?`);
    this.byUser = db.prepare<[string], PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE user_id = ? ORDER BY created_at, credential_id`);
    this.recordUseStmt = db.prepare<[number, number, string]>('UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ?');
    // The owner in the WHERE clause: a person can rename or remove only their own passkeys.
    this.renameStmt = db.prepare<[string, string, string]>('UPDATE passkeys SET name = ? WHERE user_id = ? AND credential_id = ?');
    this.deleteStmt = db.prepare<[string, string]>('DELETE FROM passkeys WHERE user_id = ? AND credential_id = ?');
    this.deleteForUserStmt = db.prepare<[string]>('DELETE FROM passkeys WHERE user_id = ?');
  }

  async create(passkey: NewPasskey): Promise<void> {
    try {
      this.insertStmt.run(...toValues(passkey, Number));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('this passkey is already registered');
      throw error;
    }
  }

  async findById(credentialId: string): Promise<PasskeyRecord | null> {
    const row = this.byId.get(credentialId);
    return row ? toRecord(row) : null;
  }

  async listForUser(userId: string): Promise<PasskeyRecord[]> {
    return this.byUser.all(userId).map(toRecord);
  }

  async recordUse(credentialId: string, counter: number, now: number): Promise<void> {
    this.recordUseStmt.run(counter, now, credentialId);
  }

  async rename(userId: string, credentialId: string, name: string): Promise<boolean> {
    return this.renameStmt.run(name, userId, credentialId).changes > 0;
  }

  async remove(userId: string, credentialId: string): Promise<boolean> {
    return this.deleteStmt.run(userId, credentialId).changes > 0;
  }

  async removeAllForUser(userId: string): Promise<number> {
    return this.deleteForUserStmt.run(userId).changes;
  }
}
