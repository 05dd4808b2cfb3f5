// Migration 0016 (issue 25) over a database as issue 24 left it (schema 0015), on both engines: SQLite opened as the
// server opens it (migrated on its writer thread, dist/sqlite-writer.mjs) and PostgreSQL. Every person reads with no
// language and no time zone chosen (the request and the browser decide, as before), everything else as it was;
// nothing is branded (the configuration and Gatehouse's own decide); both take their new values at once, and an
// export carries them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import { appliedSqliteMigrations, migrateSqlite, openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/thread/threaded-store.js';
import type { Store } from '../../src/store/store.js';
import { transferTable, type TransferRow } from '../../src/store/transfer/tables.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { rowsAt0015, upgradedPostgres } from './rows-before.js';

const BEFORE_0016 = 15;
const NOW = Date.now();
const LOGO = { contentType: 'image/png', data: Buffer.from('89504e470d0a1a0a00ff', 'hex') } as const;

async function exported(store: Store, name: string): Promise<TransferRow[]> {
  const table = transferTable(name);
  if (!table) throw new Error(`no table ${name}`);
  return store.transfer.snapshot(async (reader) => {
    const rows: TransferRow[] = [];
    for await (const batch of reader.rows(table, 100)) rows.push(...batch);
    return rows;
  });
}

async function expectMigrated(store: Store, applied: number[]): Promise<void> {
  expect(applied).toEqual(readMigrations('sqlite').map((migration) => migration.version));
  expect(applied).toContain(16);
  // People as they were, with no language or time zone chosen.
  expect(await store.users.findById('u1')).toMatchObject({ email: 'ada@example.com', name: 'Ada', isAdmin: true, emailVerified: true, locale: null, timeZone: null });
  expect(await store.users.findById('u2')).toMatchObject({ email: 'bob@example.com', locale: null, timeZone: null });
  expect((await store.users.list({ limit: 10 })).items.map((user) => [user.id, user.locale, user.timeZone])).toEqual([
    ['u1', null, null],
    ['u2', null, null],
  ]);
  // Issue 24's rows untouched.
  expect(await store.clients.findById('spa')).toMatchObject({ thirdParty: true, clientUri: 'https://spa.example/' });
  expect(await store.consents.find('u2', 'spa')).toMatchObject({ scopes: ['openid'] });
  expect(await store.registrationTokens.findUsable('hash-of-rt1', NOW)).toMatchObject({ usesLeft: 2 });
  // Nothing branded.
  expect(await store.branding.get()).toBeNull();
  expect(await store.branding.version()).toBe(0);
  expect(await exported(store, 'branding')).toEqual([]);

  // Both take their new values at once.
  expect(await store.users.update('u1', { locale: 'fr', timeZone: 'Europe/Paris' }, NOW + 1)).toMatchObject({ locale: 'fr', timeZone: 'Europe/Paris', name: 'Ada' });
  expect(await store.users.findByEmail('ada@example.com')).toMatchObject({ locale: 'fr', timeZone: 'Europe/Paris' });
  expect(await store.branding.save({ name: 'Acme', color: '#0a5fff', logo: LOGO }, 1, 'u1', NOW)).toBeNull();
  const saved = await store.branding.save({ name: 'Acme', color: '#0a5fff', logo: LOGO }, 0, 'u1', NOW);
  expect(saved).toMatchObject({ name: 'Acme', color: '#0a5fff', favicon: null, css: null, version: 1, updatedBy: 'u1' });
  expect(saved?.logo?.data.equals(LOGO.data)).toBe(true);
  expect(await store.branding.version()).toBe(1);
  expect((await exported(store, 'users')).map((row) => [row.id, row.locale, row.time_zone])).toEqual([
    ['u1', 'fr', 'Europe/Paris'],
    ['u2', null, null],
  ]);
  expect(await exported(store, 'branding')).toMatchObject([{ id: 1, name: 'Acme', logo: LOGO.data.toString('base64'), logo_type: 'image/png', version: 1 }]);
}

describe('migration 0016 over a database written before it (schema 0015)', () => {
  it('on SQLite, migrated by the server’s writer thread', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-0016-'));
    try {
      const file = path.join(dir, 'idp.sqlite');
      const old = openSqliteDatabase(file, { synchronous: 'NORMAL' });
      try {
        migrateSqlite(
          old,
          readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_0016),
        );
        expect(appliedSqliteMigrations(old).at(-1)).toBe(BEFORE_0016);
        for (const sql of rowsAt0015(NOW)) old.exec(sql);
      } finally {
        old.close();
      }
      const store = await ThreadedSqliteStore.open({ file, synchronous: 'NORMAL' });
      try {
        const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
        let applied: number[];
        try {
          applied = appliedSqliteMigrations(db);
        } finally {
          db.close();
        }
        await expectMigrated(store, applied);
      } finally {
        await store.close();
      }
      const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
      try {
        expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
        expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!TEST_DATABASE_URL)('on PostgreSQL', async () => {
    await upgradedPostgres(TEST_DATABASE_URL ?? '', BEFORE_0016, rowsAt0015(NOW), expectMigrated);
  });
});
