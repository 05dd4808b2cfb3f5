// What people allowed applications, on SQLite (issue 24, migration 0015).
import type { ConsentRecord } from '../records.js';
import { COLUMNS, consentTargetGone, scopesColumn, toRecord, type ConsentRow } from '../rows/consents.js';
import type { ConsentRepository } from '../store.js';
import { isForeignKeyViolation, type SqliteDatabase } from './database.js';

export class SqliteConsentRepository implements ConsentRepository {
  private readonly byKey;
  private readonly grantStmt;
  private readonly touchStmt;
  private readonly listForUserStmt;
  private readonly revokeStmt;

  constructor(db: SqliteDatabase) {
    this.byKey = db.prepare<[string, string], ConsentRow>(`SELECT ${COLUMNS} FROM consents WHERE user_id = ? AND client_id = ?`);
    // One statement: a new row, or the row's scopes in their order followed by the granted names it lacks (json_each
    // hands an array's elements over with their index as `key`). Of two grants racing, the second sees the first's row.
    this.grantStmt = db.prepare<[string, string, string, number, number], ConsentRow>(
      `INSERT INTO consents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL) ` +
        'ON CONFLICT (user_id, client_id) DO UPDATE SET ' +
        'scopes = (SELECT json_group_array(value ORDER BY part, key) FROM (' +
        'SELECT 0 AS part, key, value FROM json_each(consents.scopes) ' +
        'UNION ALL SELECT 1, key, value FROM json_each(excluded.scopes) WHERE value NOT IN (SELECT value FROM json_each(consents.scopes)))), ' +
        `updated_at = excluded.updated_at RETURNING ${COLUMNS}`,
    );
    this.touchStmt = db.prepare<[number, string, string]>('UPDATE consents SET last_used_at = ? WHERE user_id = ? AND client_id = ?');
    // The primary key (user_id, client_id) finds a person's few rows.
    this.listForUserStmt = db.prepare<[string], ConsentRow>(`SELECT ${COLUMNS} FROM consents WHERE user_id = ? ORDER BY updated_at DESC, client_id`);
    this.revokeStmt = db.prepare<[string, string]>('DELETE FROM consents WHERE user_id = ? AND client_id = ?');
  }

  async find(userId: string, clientId: string): Promise<ConsentRecord | null> {
    const row = this.byKey.get(userId, clientId);
    return row ? toRecord(row) : null;
  }

  async grant(userId: string, clientId: string, scopes: readonly string[], now: number): Promise<ConsentRecord> {
    let row: ConsentRow | undefined;
    try {
      row = this.grantStmt.get(userId, clientId, scopesColumn(scopes), now, now);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw consentTargetGone(userId, clientId);
      throw error;
    }
    if (!row) throw new Error('the consent upsert returned no row');
    return toRecord(row);
  }

  async touch(userId: string, clientId: string, now: number): Promise<void> {
    this.touchStmt.run(now, userId, clientId);
  }

  async listForUser(userId: string): Promise<ConsentRecord[]> {
    return this.listForUserStmt.all(userId).map(toRecord);
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    return this.revokeStmt.run(userId, clientId).changes > 0;
  }
}
