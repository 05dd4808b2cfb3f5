// The admin "Branding" screen's saved brand on SQLite (issue 25, migration 0016): one row, id 1.
import type { BrandingPatch, BrandingRecord } from '../records.js';
import { BRANDING_ID, COLUMNS, firstValues, patchColumns, toRecord, type BrandingRow, type BrandingValue } from '../rows/branding.js';
import type { BrandingRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

export class SqliteBrandingRepository implements BrandingRepository {
  private readonly getStmt;
  private readonly versionStmt;
  private readonly insertStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.getStmt = db.prepare<[number], BrandingRow>(`SELECT ${COLUMNS} FROM branding WHERE id = ?`);
    this.versionStmt = db.prepare<[number], { version: number }>('SELECT version FROM branding WHERE id = ?');
    // The first save: a row already there (another first save came before) is left alone and nothing is returned.
    this.insertStmt = db.prepare<[number, ...BrandingValue[], number, string | null], BrandingRow>(
      `INSERT INTO branding (id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
    );
  }

  async get(): Promise<BrandingRecord | null> {
    const row = this.getStmt.get(BRANDING_ID);
    return row ? toRecord(row) : null;
  }

  async version(): Promise<number> {
    return this.versionStmt.get(BRANDING_ID)?.version ?? 0;
  }

  async save(patch: BrandingPatch, expectedVersion: number, updatedBy: string | null, now: number): Promise<BrandingRecord | null> {
    // One statement either way, conditioned on the version the administrator read: SQLite runs writes one at a time,
    // so of two saves of the same version the second finds the first's row (or version) and matches nothing.
    if (expectedVersion === 0) {
      const row = this.insertStmt.get(BRANDING_ID, ...firstValues(patch), now, updatedBy);
      return row ? toRecord(row) : null;
    }
    const columns = patchColumns(patch);
    const assignments = [...columns.map(([column]) => `${column} = ?`), 'version = version + 1', 'updated_at = ?', 'updated_by = ?'];
    const row = this.db
      .prepare<unknown[], BrandingRow>(`UPDATE branding SET ${assignments.join(', ')} WHERE id = ? AND version = ? RETURNING ${COLUMNS}`)
      .get(...columns.map(([, value]) => value), now, updatedBy, BRANDING_ID, expectedVersion);
    return row ? toRecord(row) : null;
  }
}
