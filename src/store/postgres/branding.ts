// The admin "Branding" screen's saved brand on PostgreSQL (issue 25, migration 0016): one row, id 1.
import type { BrandingPatch, BrandingRecord } from '../records.js';
import { BRANDING_ID, COLUMNS, firstValues, patchColumns, toRecord, type BrandingRow } from '../rows/branding.js';
import type { BrandingRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';

const GET = statement('branding.get', `SELECT ${COLUMNS} FROM branding WHERE id = $1`);
const VERSION = statement('branding.version', 'SELECT version FROM branding WHERE id = $1');
// The first save. Of two racing, the second waits for the first's row to commit, then does nothing and returns no row.
const INSERT = statement('branding.insert', `INSERT INTO branding (id, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`);

export class PostgresBrandingRepository implements BrandingRepository {
  constructor(private readonly pool: PostgresPool) {}

  async get(): Promise<BrandingRecord | null> {
    const row = (await query<BrandingRow>(this.pool, GET, [BRANDING_ID])).rows[0];
    return row ? toRecord(row) : null;
  }

  async version(): Promise<number> {
    return (await query<{ version: number }>(this.pool, VERSION, [BRANDING_ID])).rows[0]?.version ?? 0;
  }

  async save(patch: BrandingPatch, expectedVersion: number, updatedBy: string | null, now: number): Promise<BrandingRecord | null> {
    if (expectedVersion === 0) {
      const row = (await query<BrandingRow>(this.pool, INSERT, [BRANDING_ID, ...firstValues(patch), now, updatedBy])).rows[0];
      return row ? toRecord(row) : null;
    }
    // One conditional UPDATE: of two saves of the same version, the second waits for the first's row lock, re-checks
    // the WHERE clause against the committed row (READ COMMITTED), finds the version moved on and matches nothing.
    const values: unknown[] = [];
    const assignments = patchColumns(patch).map(([column, value]) => `${column} = $${values.push(value)}`);
    assignments.push('version = version + 1', `updated_at = $${values.push(now)}`, `updated_by = $${values.push(updatedBy)}`);
    const text = `UPDATE branding SET ${assignments.join(', ')} WHERE id = $${values.push(BRANDING_ID)} AND version = $${values.push(expectedVersion)} RETURNING ${COLUMNS}`;
    const row = (await query<BrandingRow>(this.pool, text, values)).rows[0];
    return row ? toRecord(row) : null;
  }
}
