// Databases as earlier issues left them, for the upgrade tests of later migrations on both engines (plain SQL both
// engines take: TRUE/FALSE for booleans), and the PostgreSQL half of those tests. Issue 21's rows (schema 0012) are in
// test/store/before-0013.ts.
import { expect } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import { appliedPostgresMigrations, migratePostgres, openPostgresPool } from '../../src/store/postgres/database.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { freshPostgresSchema } from '../helpers/postgres.js';
import { rowsAt0012 } from '../store/before-0013.js';

/** Schema 0014's rows: issue 21's database with an upstream provider and a linked identity (issue 23). */
export function rowsAt0014(now: number): string[] {
  return [
    ...rowsAt0012(now),
    'INSERT INTO identity_providers (slug, kind, name, button_label, icon_url, enabled, settings, secret, jit, allowed_domains, trust_email, trust_mfa, groups_mode, created_at, updated_at) ' +
      `VALUES ('acme', 'oidc', 'Acme', NULL, NULL, TRUE, '{}', 'sealed', FALSE, '[]', FALSE, FALSE, 'ignore', ${now}, ${now})`,
    `INSERT INTO federated_identities (provider_slug, subject, user_id, email, created_at, last_used_at) VALUES ('acme', 'sub-1', 'u1', NULL, ${now}, NULL)`,
  ];
}

/** Schema 0015's rows: the above with a third-party client, a consent and an initial access token (issue 24). */
export function rowsAt0015(now: number): string[] {
  return [
    ...rowsAt0014(now),
    "UPDATE clients SET third_party = TRUE, client_uri = 'https://spa.example/' WHERE client_id = 'spa'",
    `INSERT INTO consents (user_id, client_id, scopes, granted_at, updated_at, last_used_at) VALUES ('u2', 'spa', '["openid"]', ${now}, ${now}, NULL)`,
    `INSERT INTO registration_tokens (id, token_hash, uses_left, used, created_by, created_at, expires_at) VALUES ('rt1', 'hash-of-rt1', 2, 0, 'cli', ${now}, NULL)`,
  ];
}

/** Schema 0017's rows: the above with a client edited twice since (its version, issue 26). */
export function rowsAt0017(now: number): string[] {
  return [...rowsAt0015(now), "UPDATE clients SET version = 3 WHERE client_id = 'rp'"];
}

/**
 * A PostgreSQL schema migrated up to `version` holding `rows`, then opened as the server opens it (the store runs
 * the later migrations): `check` gets the store and the migrations applied. The schema is dropped afterwards.
 */
export async function upgradedPostgres(url: string, version: number, rows: string[], check: (store: Store, applied: number[]) => Promise<void>): Promise<void> {
  const { schema, drop } = await freshPostgresSchema(url);
  try {
    const pool = openPostgresPool({ url, poolSize: 1, schema });
    try {
      await migratePostgres(
        pool,
        readMigrations('postgres').filter((migration) => migration.version <= version),
      );
      expect((await appliedPostgresMigrations(pool)).at(-1)).toBe(version);
      for (const sql of rows) await pool.query(sql);
    } finally {
      await pool.end();
    }
    const store = await openPostgresStore({ url, poolSize: 2, schema });
    try {
      const probe = openPostgresPool({ url, poolSize: 1, schema });
      let applied: number[];
      try {
        applied = await appliedPostgresMigrations(probe);
      } finally {
        await probe.end();
      }
      await check(store, applied);
    } finally {
      await store.close();
    }
  } finally {
    await drop();
  }
}
