// Upstream identity providers and directories on PostgreSQL (issue 23, migration 0014).
import type { IdentityProviderPatch, IdentityProviderRecord, NewIdentityProvider } from '../records.js';
import { COLUMNS, createdRecord, PATCH_COLUMNS, patchValue, slugTaken, toRecord, toValues, type IdentityProviderRow } from '../rows/identity-providers.js';
import type { IdentityProviderRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('identityProviders.insert', `INSERT INTO identity_providers (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`);
const BY_SLUG = statement('identityProviders.bySlug', `SELECT ${COLUMNS} FROM identity_providers WHERE slug = $1`);
// Bytewise, as SQLite orders them: the same list on either engine (the slug is COLLATE "C" already).
const LIST = statement('identityProviders.list', `SELECT ${COLUMNS} FROM identity_providers ORDER BY name COLLATE "C", slug`);
// Its linked identities and states go with it (ON DELETE CASCADE).
const DELETE = statement('identityProviders.delete', 'DELETE FROM identity_providers WHERE slug = $1');
const LINK_COUNTS = statement('identityProviders.linkCounts', 'SELECT provider_slug, count(*) AS n FROM federated_identities GROUP BY provider_slug');

export class PostgresIdentityProviderRepository implements IdentityProviderRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(provider: NewIdentityProvider, now: number): Promise<IdentityProviderRecord> {
    const record = createdRecord(provider, now);
    try {
      await query(this.pool, INSERT, toValues(record));
    } catch (error) {
      if (isUniqueViolation(error)) throw slugTaken(provider.slug);
      throw error;
    }
    return record;
  }

  async findBySlug(slug: string): Promise<IdentityProviderRecord | null> {
    const row = (await query<IdentityProviderRow>(this.pool, BY_SLUG, [slug])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list(): Promise<IdentityProviderRecord[]> {
    return (await query<IdentityProviderRow>(this.pool, LIST)).rows.map(toRecord);
  }

  async update(slug: string, patch: IdentityProviderPatch, now: number): Promise<IdentityProviderRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof IdentityProviderPatch, IdentityProviderPatch[keyof IdentityProviderPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      values.push(patchValue(key, value));
      assignments.push(`${PATCH_COLUMNS[key]} = $${values.length}`);
    }
    values.push(now);
    assignments.push(`updated_at = $${values.length}`);
    values.push(slug);
    const { rows } = await query<IdentityProviderRow>(this.pool, `UPDATE identity_providers SET ${assignments.join(', ')} WHERE slug = $${values.length} RETURNING ${COLUMNS}`, values);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async delete(slug: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [slug])).rowCount ?? 0) > 0;
  }

  async linkCounts(): Promise<Map<string, number>> {
    const { rows } = await query<{ provider_slug: string; n: number }>(this.pool, LINK_COUNTS);
    return new Map(rows.map((row) => [row.provider_slug, row.n]));
  }
}
