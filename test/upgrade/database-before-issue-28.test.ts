// Migration 0018 (issue 28) over a database as issue 27 left it (schema 0017), on both engines: SQLite opened as the
// server opens it (migrated on its writer thread, dist/sqlite-writer.mjs) and PostgreSQL. Every client requires
// neither pushed requests (RFC 9126 §6) nor DPoP (RFC 9449 §5.2), every token and code issued before reads as unbound
// (a bearer token, as it was issued), everything else as it was; the new columns and tables work at once, and an
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
import { rowsAt0017, upgradedPostgres } from './rows-before.js';

const BEFORE_0018 = 17;
const NOW = Date.now();
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

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
  expect(applied).toContain(18);
  // Clients as they were, requiring neither.
  for (const id of ['rp', 'svc', 'spa']) {
    expect(await store.clients.findById(id), id).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
  }
  expect(await store.clients.findById('rp')).toMatchObject({ version: 3, accessPolicy: 'groups', refreshReuseGrace: 30, accessGroups: ['g1'] });
  expect(await store.clients.findById('spa')).toMatchObject({ thirdParty: true, clientUri: 'https://spa.example/' });
  // Tokens and codes issued before: unbound, and otherwise as they were.
  expect(await store.codes.find('c-rp')).toMatchObject({ grantId: 'grant-rp', nonce: 'n', dpopJkt: null });
  expect(await store.refreshTokens.find('t-spa')).toMatchObject({ grantId: 'grant-spa', kid: 'k-old', jkt: null });
  expect(await store.accessTokens.findLive('a-rp-1', NOW)).toMatchObject({ grantId: 'grant-rp', kid: 'k-old', jkt: null });
  expect((await exported(store, 'clients')).map((row) => [row.client_id, row.require_pushed_authorization_requests, row.dpop_bound_access_tokens])).toEqual([
    ['rp', false, false],
    ['spa', false, false],
    ['svc', false, false],
  ]);
  expect(await exported(store, 'pushed_requests')).toEqual([]);
  expect(await exported(store, 'used_jtis')).toEqual([]);

  // Everything new works at once.
  expect(await store.clients.update('spa', { requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true }, NOW + 1)).toMatchObject({
    requirePushedAuthorizationRequests: true,
    dpopBoundAccessTokens: true,
    thirdParty: true,
  });
  await store.pushedRequests.create({ uriHash: 'par-1', clientId: 'spa', params: { scope: 'openid', dpop_jkt: JKT }, createdAt: NOW, expiresAt: NOW + 60_000 });
  expect(await store.pushedRequests.consume('par-1', 'rp', NOW + 1)).toBeNull();
  expect(await store.pushedRequests.consume('par-1', 'spa', NOW + 1)).toMatchObject({ params: { scope: 'openid', dpop_jkt: JKT }, consumedAt: NOW + 1 });
  expect(await store.pushedRequests.consume('par-1', 'spa', NOW + 2)).toBeNull();
  expect(await store.usedJtis.use('dpop_proof', JKT, 'proof-1', NOW + 70_000)).toBe(true);
  expect(await store.usedJtis.use('dpop_proof', JKT, 'proof-1', NOW + 70_000)).toBe(false);
  expect(await exported(store, 'used_jtis')).toEqual([{ kind: 'dpop_proof', scope: JKT, jti: 'proof-1', expires_at: NOW + 70_000 }]);
  expect((await exported(store, 'clients')).find((row) => row.client_id === 'spa')).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
}

describe('migration 0018 over a database written before it (schema 0017)', () => {
  it('on SQLite, migrated by the server’s writer thread', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-0018-'));
    try {
      const file = path.join(dir, 'idp.sqlite');
      const old = openSqliteDatabase(file, { synchronous: 'NORMAL' });
      try {
        migrateSqlite(
          old,
          readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_0018),
        );
        expect(appliedSqliteMigrations(old).at(-1)).toBe(BEFORE_0018);
        for (const sql of rowsAt0017(NOW)) old.exec(sql);
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
        // The flags are CHECKed to 0 or 1, as the other boolean columns of clients.
        expect(() => db.prepare("UPDATE clients SET dpop_bound_access_tokens = 2 WHERE client_id = 'rp'").run()).toThrow(/CHECK/);
        expect(() => db.prepare("INSERT INTO used_jtis (kind, scope, jti, expires_at) VALUES ('other', 's', 'j', 1)").run()).toThrow(/CHECK/);
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!TEST_DATABASE_URL)('on PostgreSQL', async () => {
    await upgradedPostgres(TEST_DATABASE_URL ?? '', BEFORE_0018, rowsAt0017(NOW), expectMigrated);
  });
});
