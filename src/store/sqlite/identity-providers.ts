// Upstream identity providers and directories on SQLite (issue 23, migration 0014).
import type { IdentityProviderPatch, IdentityProviderRecord, NewIdentityProvider } from '../records.js';
import { COLUMNS, createdRecord, PATCH_COLUMNS, patchValue, slugTaken, toRecord, toValues, type IdentityProviderRow } from '../rows/identity-providers.js';
import type { IdentityProviderRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

/** SQLite keeps booleans as 0 and 1. */
function sqliteValue(value: string | number | boolean | null): string | number | null {
  return typeof value === 'boolean' ? Number(value) : value;
}

export class SqliteIdentityProviderRepository implements IdentityProviderRepository {
  private readonly insertStmt;
  private readonly bySlug;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly linkCountsStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO identity_providers (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.bySlug = db.prepare<[string], IdentityProviderRow>(`SELECT ${COLUMNS} FROM identity_providers WHERE slug = ?`);
    this.listStmt = db.prepare<[], IdentityProviderRow>(`SELECT ${COLUMNS} FROM identity_providers ORDER BY name, slug`);
    // Its linked identities and states go with it (ON DELETE CASCADE).
    this.deleteStmt = db.prepare<[string]>('DELETE FROM identity_providers WHERE slug = ?');
    // The primary key (provider_slug, subject) gives the identities grouped by provider.
    this.linkCountsStmt = db.prepare<[], { provider_slug: string; n: number }>('SELECT provider_slug, count(*) AS n FROM federated_identities GROUP BY provider_slug');
  }

  async create(provider: NewIdentityProvider, now: number): Promise<IdentityProviderRecord> {
    const record = createdRecord(provider, now);
    try {
      this.insertStmt.run(...toValues(record).map(sqliteValue));
    } catch (error) {
      if (isUniqueViolation(error)) throw slugTaken(provider.slug);
      throw error;
    }
    return record;
  }

  async findBySlug(slug: string): Promise<IdentityProviderRecord | null> {
    const row = this.bySlug.get(slug);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<IdentityProviderRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async update(slug: string, patch: IdentityProviderPatch, now: number): Promise<IdentityProviderRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof IdentityProviderPatch, IdentityProviderPatch[keyof IdentityProviderPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      assignments.push(`${PATCH_COLUMNS[key]} = ?`);
      values.push(sqliteValue(patchValue(key, value)));
    }
    const row = this.db
      .prepare<unknown[], IdentityProviderRow>(`UPDATE identity_providers SET ${[...assignments, 'updated_at = ?'].join(', ')} WHERE slug = ? RETURNING ${COLUMNS}`)
      .get(...values, now, slug);
    return row ? toRecord(row) : null;
  }

  async delete(slug: string): Promise<boolean> {
    return this.deleteStmt.run(slug).changes > 0;
  }

  async linkCounts(): Promise<Map<string, number>> {
    return new Map(this.linkCountsStmt.all().map((row) => [row.provider_slug, row.n]));
  }
}
