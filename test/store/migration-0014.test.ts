// Migration 0014 (issue 23) on both engines, over a database written before it: every account keeps its password
// (has_password 1), every session, code and refresh token reads as a sign-in at Gatehouse itself (idp null), and
// the new tables take providers, linked identities and federated sign-ins in progress at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { readMigrations } from '../../src/store/migrate.js';
import { migratePostgres, openPostgresPool } from '../../src/store/postgres/database.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { migrateSqlite, openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { freshPostgresSchema, TEST_DATABASE_URL } from '../helpers/postgres.js';
import { BEFORE_0013, RP_REFRESH_TOKEN, rowsAt0012 } from './before-0013.js';
import { newFederationState, newProvider, T0 } from './engines.js';

const NOW = 1_700_000_000_000;

/** What the rows written before 0014 read as, and that the new repositories work on the migrated database. */
async function expectMigrated(store: Store): Promise<void> {
  expect(await store.users.findById('u1')).toMatchObject({ email: 'ada@example.com', hasPassword: true });
  expect(await store.users.findById('u2')).toMatchObject({ hasPassword: true });
  expect(await store.sessions.findLive('s1', NOW)).toMatchObject({ amr: ['pwd'], idp: null });
  expect(await store.codes.find('c-rp')).toMatchObject({ amr: ['pwd'], idp: null });
  expect(await store.refreshTokens.find(hashSecret(RP_REFRESH_TOKEN))).toMatchObject({ grantId: 'grant-rp', idp: null });
  expect(await store.identityProviders.list()).toEqual([]);

  await store.identityProviders.create(newProvider('acme', 'Acme'), T0);
  await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'sub-1', userId: 'u1', email: null, createdAt: T0 });
  await store.federationStates.create(newFederationState('st1', { kind: 'link', userId: 'u2' }));
  expect(await store.identityProviders.linkCounts()).toEqual(new Map([['acme', 1]]));
  expect((await store.federationStates.findLiveLink('b1', 'u2', T0))?.idHash).toBe('st1');
  // A password set after the upgrade keeps the account's password; the flag only ever turns on by a change.
  expect(await store.users.update('u2', { passwordHash: '$argon2id$new' }, NOW)).toMatchObject({ hasPassword: true });
}

describe('migration 0014 over a database written before it', () => {
  it('on SQLite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-0014-'));
    try {
      const file = path.join(dir, 'idp.sqlite');
      const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
      migrateSqlite(
        db,
        readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_0013),
      );
      for (const sql of rowsAt0012(NOW)) db.exec(sql);
      db.close();
      const store = openSqliteStore({ file, synchronous: 'NORMAL' });
      try {
        await expectMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!TEST_DATABASE_URL)('on PostgreSQL', async () => {
    const url = TEST_DATABASE_URL ?? '';
    const { schema, drop } = await freshPostgresSchema(url);
    try {
      const pool = openPostgresPool({ url, poolSize: 1, schema });
      try {
        await migratePostgres(
          pool,
          readMigrations('postgres').filter((migration) => migration.version <= BEFORE_0013),
        );
        for (const sql of rowsAt0012(NOW)) await pool.query(sql);
      } finally {
        await pool.end();
      }
      const store = await openPostgresStore({ url, poolSize: 2, schema });
      try {
        await expectMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      await drop();
    }
  });
});
