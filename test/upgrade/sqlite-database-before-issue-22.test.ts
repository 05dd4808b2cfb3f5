// Issue 22 rebuilds two SQLite tables (clients, for private_key_jwt's CHECKs, and access_tokens, for machines'
// tokens without a person): an existing database created before it (schema 0012) keeps working. The server
// migrates it at start on its writer thread; every row is still there, read through the store as before, a refresh
// token issued before the upgrade still refreshes, and afterwards every foreign key still cascades and the new
// CHECKs hold. The rows: test/store/before-0013.ts.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import { appliedSqliteMigrations, migrateSqlite, openSqliteDatabase, type SqliteDatabase } from '../../src/store/sqlite/database.js';
import { basic, tokenRequest } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { BEFORE_0013, expectConstraintsHold, expectRowsKept, RP_REFRESH_TOKEN, RP_SECRET, rowsAt0012, snapshot, type RawDatabase, type Snapshot } from '../store/before-0013.js';

function raw(db: SqliteDatabase): RawDatabase {
  return {
    rows: async (sql) => db.prepare<[], Record<string, unknown>>(sql).all(),
    run: async (sql) => {
      db.exec(sql);
    },
  };
}

describe('a SQLite database from before issue 22', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-upgrade-'));
  const dataDir = path.join(dir, 'data');
  const file = path.join(dataDir, 'idp.sqlite');
  let before: Snapshot;
  let app: RunningApp;

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true });
    const old = openSqliteDatabase(file, { synchronous: 'NORMAL' });
    try {
      migrateSqlite(
        old,
        readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_0013),
      );
      for (const sql of rowsAt0012(Date.now())) old.exec(sql);
      before = await snapshot(raw(old));
    } finally {
      old.close();
    }
    app = await startApp({ env: { DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is migrated at start to the current schema, keeping every row, read through the store as before', async () => {
    const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
    try {
      expect(appliedSqliteMigrations(db)).toEqual(readMigrations('sqlite').map((migration) => migration.version));
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      await expectRowsKept(raw(db), before);
    } finally {
      db.close();
    }
    expect(await app.store.clients.findById('rp')).toMatchObject({
      clientType: 'confidential',
      tokenEndpointAuthMethod: 'client_secret_basic',
      accessPolicy: 'groups',
      accessGroups: ['g1'],
      claimGroups: ['g1'],
      groupsClaim: { kind: 'prefix', prefix: 'app-' },
      refreshReuseGrace: 30,
      jwks: null,
      jwksUri: null,
    });
    expect(await app.store.clients.findById('spa')).toMatchObject({ clientType: 'public', secretHash: null, claimGroups: ['g1'], jwks: null });
    expect(await app.store.accessTokens.findLive('a-rp-1', Date.now())).toMatchObject({ userId: 'u1', format: 'jwt', audience: null, scope: null, authTime: null, kid: 'k-old' });
    expect(await app.store.codes.find('c-spa')).toMatchObject({ resources: [], replayedAt: expect.any(Number) });
    expect(await app.store.apis.accessOf('rp')).toEqual([]);
  });

  it('refreshes a token issued before the upgrade', async () => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: RP_REFRESH_TOKEN }).toString();
    const answer = await tokenRequest(app, body, { Authorization: basic('rp', RP_SECRET) });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
    expect(answer.json.refresh_token).toEqual(expect.any(String));
  });

  it('still cascades every foreign key after the rebuild, and holds the new CHECKs', async () => {
    const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
    try {
      await expectConstraintsHold(raw(db));
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    } finally {
      db.close();
    }
    expect(await app.store.clients.findById('rp')).toBeNull();
  });
});
