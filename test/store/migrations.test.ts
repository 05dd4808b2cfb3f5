// SQLite migrations: each applies exactly once, in its own transaction, and a broken one leaves nothing behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { migrationsDir } from '../../src/paths.js';
import { readMigrations } from '../../src/store/migrate.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteUserRepository } from '../../src/store/sqlite/users.js';
import { BEFORE_0013, expectConstraintsHold, expectRowsKept, rowsAt0012, snapshot, type RawDatabase } from './before-0013.js';
import { expectUnbrokenChain } from './chain-check.js';
import { appliedSqliteMigrations, migrateSqlite, openSqliteDatabase, type SqliteDatabase } from '../../src/store/sqlite/database.js';

const INIT_SQL = fs.readFileSync(path.join(migrationsDir, 'sqlite', '0001_init.sql'), 'utf8');
/** Every shipped migration's version, in order. */
const ALL = readMigrations('sqlite').map((migration) => migration.version);

describe('SQLite migrations', () => {
  let dir: string;
  let file: string;
  const open: SqliteDatabase[] = [];

  function connect(): SqliteDatabase {
    const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
    open.push(db);
    return db;
  }

  /** A migrations folder holding the real 0001 plus the given extra files. */
  function migrationsFolder(extra: Record<string, string>, name = 'migrations'): string {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, '0001_init.sql'), INIT_SQL);
    for (const [name, sql] of Object.entries(extra)) fs.writeFileSync(path.join(folder, name), sql);
    return folder;
  }

  function tableNames(db: SqliteDatabase): string[] {
    return db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-'));
    file = path.join(dir, 'gatehouse.db');
  });

  afterEach(() => {
    for (const db of open.splice(0)) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies the initial migration to a new database and records it', () => {
    const db = connect();
    expect(ALL.slice(0, 2)).toEqual([1, 2]);
    expect(migrateSqlite(db)).toEqual(ALL);
    expect(appliedSqliteMigrations(db)).toEqual(ALL);
    expect(tableNames(db)).toEqual(
      expect.arrayContaining(['users', 'clients', 'signing_keys', 'sessions', 'authorization_codes', 'refresh_tokens', 'audit_events', 'authorization_requests', 'access_tokens']),
    );
  });

  it('applies nothing the second time and keeps the data', () => {
    const db = connect();
    migrateSqlite(db);
    db.prepare("INSERT INTO users (id, email, email_normalized, password_hash, created_at, updated_at) VALUES ('u1', 'a@example.com', 'a@example.com', 'h', 1, 1)").run();
    expect(migrateSqlite(db)).toEqual([]);
    expect(appliedSqliteMigrations(db)).toEqual(ALL);
    expect(db.prepare('SELECT id FROM users').all()).toEqual([{ id: 'u1' }]);
  });

  it('applies a migration once when a second connection to the same file migrates after the first', () => {
    const first = connect();
    const second = connect();
    expect(migrateSqlite(first)).toEqual(ALL);
    expect(migrateSqlite(second)).toEqual([]);
    expect(appliedSqliteMigrations(second)).toEqual(ALL);
    expect(appliedSqliteMigrations(first)).toEqual(ALL);
  });

  it('fails a broken migration with StoreUnavailableError naming it, and rolls back everything it did', () => {
    const folder = migrationsFolder({ '0002_broken.sql': 'CREATE TABLE half_done (x INTEGER);\nCREATE TABLE oops (;\n' });
    const db = connect();
    let failure: unknown;
    try {
      migrateSqlite(db, readMigrations('sqlite', folder));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toContain('0002_broken');
    expect(tableNames(db)).not.toContain('half_done');
    expect(tableNames(db)).toContain('users');
    expect(appliedSqliteMigrations(db)).toEqual([1]);
  });

  it('applies a later migration after the ones already recorded', () => {
    const db = connect();
    migrateSqlite(db, readMigrations('sqlite', migrationsFolder({}, 'first')));
    const folder = migrationsFolder({ '0002_add_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY) STRICT;' });
    expect(migrateSqlite(db, readMigrations('sqlite', folder))).toEqual([2]);
    expect(appliedSqliteMigrations(db)).toEqual([1, 2]);
    expect(tableNames(db)).toContain('notes');
  });

  it('reads migrations in version order with their names', () => {
    const folder = migrationsFolder({ '0002_add_notes.sql': 'SELECT 2;' });
    expect(readMigrations('sqlite', folder).map((m) => [m.version, m.name])).toEqual([
      [1, 'init'],
      [2, 'add_notes'],
    ]);
  });

  it('rejects a migration file that is not named NNNN_name.sql', () => {
    const folder = migrationsFolder({ '2-add-notes.sql': 'SELECT 2;' });
    expect(() => readMigrations('sqlite', folder)).toThrow(/2-add-notes\.sql.*NNNN_name\.sql/);
  });

  it('rejects a gap in the numbering', () => {
    const folder = migrationsFolder({ '0003_skipped_two.sql': 'SELECT 3;' });
    expect(() => readMigrations('sqlite', folder)).toThrow(/without gaps/);
  });

  it('keeps refresh tokens written before 0003 usable: their grant ends when they do', async () => {
    const db = connect();
    migrateSqlite(
      db,
      readMigrations('sqlite').filter((migration) => migration.version <= 2),
    );
    db.prepare(
      "INSERT INTO users (id, email, email_normalized, name, password_hash, is_admin, disabled, email_verified, created_at, updated_at) VALUES ('u1', 'a@example.com', 'a@example.com', NULL, 'h', 0, 0, 0, 1, 1)",
    ).run();
    db.prepare(
      "INSERT INTO clients (client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, grant_types, scopes, created_at, updated_at) VALUES ('rp', 'RP', 'confidential', 'x', 'client_secret_basic', '[]', '[]', '[]', '[]', 1, 1)",
    ).run();
    db.prepare(
      "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, auth_time, created_at, expires_at) VALUES ('old', 'g', 'rp', 'u1', 'openid offline_access', 1, 1, 5000)",
    ).run();
    db.close();
    const store = openSqliteStore({ file, synchronous: 'NORMAL' });
    try {
      expect(await store.refreshTokens.find('old')).toMatchObject({ expiresAt: 5000, grantExpiresAt: 5000, kid: null, amr: [] });
    } finally {
      await store.close();
    }
  });

  it('links the audit events written before 0005 into the hash chain in id order, and appends after them', async () => {
    const db = connect();
    migrateSqlite(
      db,
      readMigrations('sqlite').filter((migration) => migration.version <= 4),
    );
    const insert = db.prepare('INSERT INTO audit_events (at, type, actor, subject, ip, details) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run(1000, 'user.created', 'cli', 'u1', null, JSON.stringify({ email: 'a@example.com' }));
    insert.run(1001, 'client.created', 'u1', 'rp', '203.0.113.7', JSON.stringify({}));
    insert.run(1002, 'user.deleted', 'system', null, null, JSON.stringify({ n: 1, list: [true, null, 'ü'] }));
    db.close();
    const store = openSqliteStore({ file, synchronous: 'NORMAL' });
    try {
      const linked = await expectUnbrokenChain(store);
      expect(linked.map((event) => [event.type, event.clientId, event.outcome])).toEqual([
        ['user.created', null, 'success'],
        ['client.created', null, 'success'],
        ['user.deleted', null, 'success'],
      ]);
      const next = await store.audit.append({ at: 2000, type: 'user.created', actor: 'cli', subject: 'u2', ip: null, details: {} });
      expect(next.prevHash).toBe(linked[2]?.hash);
      expect(await expectUnbrokenChain(store)).toHaveLength(4);
    } finally {
      await store.close();
    }
  });

  it('folds the names of users written before 0005 for the search, as the application folds them', async () => {
    const db = connect();
    migrateSqlite(
      db,
      readMigrations('sqlite').filter((migration) => migration.version <= 4),
    );
    const insert = db.prepare('INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1)');
    insert.run('u1', 'ed@example.fr', 'ed@example.fr', 'ÉDITH Piaf', 'h');
    insert.run('u2', 'nn@example.com', 'nn@example.com', null, 'h');
    db.close();
    const store = openSqliteStore({ file, synchronous: 'NORMAL' });
    try {
      expect((await store.users.list({ limit: 10, search: 'édith p' })).items.map((user) => user.id)).toEqual(['u1']);
      expect((await store.users.list({ limit: 10, search: 'nn@' })).items.map((user) => user.id)).toEqual(['u2']);
    } finally {
      await store.close();
    }
  });
  /** Throws unless the search's full-text index holds exactly what the users hold (FTS5's own check). */
  function checkSearchIndex(db: SqliteDatabase): void {
    db.prepare("INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)").run();
  }

  it('indexes the users written before 0005 for the search, and keeps the index in step with every write after', async () => {
    const db = connect();
    migrateSqlite(
      db,
      readMigrations('sqlite').filter((migration) => migration.version <= 4),
    );
    const insert = db.prepare('INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1)');
    insert.run('u1', 'ed@example.fr', 'ed@example.fr', 'ÉDITH Piaf', 'h');
    insert.run('u2', 'nn@example.com', 'nn@example.com', null, 'h');
    insert.run('u3', 'Kenji@Example.JP', 'kenji@example.jp', '山田 健二', 'h');
    expect(migrateSqlite(db)).toEqual(ALL.slice(4));
    checkSearchIndex(db);
    // Through the trigram index: a window of one user, then every match from the index.
    const users = new SqliteUserRepository(db, { window: 1, indexCap: 100 });
    const ids = async (search: string) => (await users.list({ limit: 10, search })).items.map((user) => user.id);
    expect(await ids('édith p')).toEqual(['u1']);
    expect(await ids('nn@example')).toEqual(['u2']);
    expect(await ids('山田 健')).toEqual(['u3']);
    expect(await ids('@example.')).toEqual(['u1', 'u3', 'u2']);

    const store = openSqliteStore({ file, synchronous: 'NORMAL' });
    try {
      await store.users.create({ id: 'u4', email: 'new@example.org', name: 'Nouvelle', passwordHash: 'h', isAdmin: false, disabled: false, emailVerified: false }, 2);
      await store.users.update('u1', { name: 'Édith Gassion' }, 3);
      await store.users.update('u3', { email: 'kenji@example.org', disabled: true }, 3);
      await store.users.delete('u2');
    } finally {
      await store.close();
    }
    checkSearchIndex(db);
    expect(await ids('piaf')).toEqual([]);
    expect(await ids('gassion')).toEqual(['u1']);
    expect(await ids('example.jp')).toEqual([]);
    expect(await ids('example.org')).toEqual(['u3', 'u4']);
    expect(await ids('nn@')).toEqual([]);
  });

  it("fails closed on the verification links written before 0008 whose address is not the account's, keeps the rest, and admits change links and re-authentication times after", async () => {
    const db = connect();
    migrateSqlite(
      db,
      readMigrations('sqlite').filter((migration) => migration.version <= 7),
    );
    db.prepare("INSERT INTO users (id, email, email_normalized, password_hash, created_at, updated_at) VALUES ('u1', 'bob@real.example', 'bob@real.example', 'h', 1, 1)").run();
    db.prepare("INSERT INTO sessions (id_hash, sid, user_id, amr, auth_time, created_at, last_seen_at, expires_at) VALUES ('s1', 'sid-1', 'u1', '[\"pwd\"]', 1, 1, 1, ?)").run(
      Date.now() + 3_600_000,
    );
    const insert = db.prepare('INSERT INTO account_tokens (token_hash, purpose, user_id, email, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, 1, ?, ?)');
    const expiresAt = Date.now() + 3_600_000;
    // A verification of an address the account has since left, and a change waiting for its confirmation: one kind then.
    insert.run('stale-verification', 'email_verification', 'u1', 'bob@typo.example', expiresAt, null);
    insert.run('pending-change', 'email_verification', 'u1', 'bob@new.example', expiresAt, null);
    insert.run('own-verification', 'email_verification', 'u1', 'bob@real.example', expiresAt, null);
    insert.run('reset', 'password_reset', 'u1', 'bob@real.example', expiresAt, null);
    insert.run('used-before', 'email_verification', 'u1', 'bob@typo.example', expiresAt, 5);
    const before = Date.now();
    expect(migrateSqlite(db)).toEqual(ALL.slice(7));
    const usedAt = (hash: string) => db.prepare<[string], { used_at: number | null }>('SELECT used_at FROM account_tokens WHERE token_hash = ?').get(hash)?.used_at;
    expect(usedAt('stale-verification')).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(usedAt('pending-change')).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(usedAt('own-verification')).toBeNull();
    expect(usedAt('reset')).toBeNull();
    expect(usedAt('used-before')).toBe(5);
    const store = openSqliteStore({ file, synchronous: 'NORMAL' });
    try {
      const now = Date.now();
      expect(await store.accountTokens.findLive('own-verification', 'email_verification', now)).not.toBeNull();
      await store.accountTokens.create({ tokenHash: 'change', purpose: 'email_change', userId: 'u1', email: 'bob@new.example', createdAt: now, expiresAt: now + 60_000 });
      expect(await store.accountTokens.findLive('change', 'email_change', now)).toMatchObject({ email: 'bob@new.example' });
      expect((await store.sessions.findLive('s1', now))?.reauthenticatedAt).toBeNull();
      await store.sessions.reauthenticate('s1', now);
      expect(await store.sessions.findLive('s1', now)).toMatchObject({ authTime: 1, reauthenticatedAt: now });
    } finally {
      await store.close();
    }
  });

  it('rebuilds clients and access_tokens in 0013 keeping every row and every foreign key, and then holds the new CHECKs (issue 22)', async () => {
    const db = connect();
    migrateSqlite(
      db,
      readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_0013),
    );
    for (const sql of rowsAt0012(1_700_000_000_000)) db.exec(sql);
    const raw: RawDatabase = {
      rows: async (sql) => db.prepare<[], Record<string, unknown>>(sql).all(),
      run: async (sql) => {
        db.exec(sql);
      },
    };
    const before = await snapshot(raw);
    expect(migrateSqlite(db)).toEqual(ALL.slice(BEFORE_0013));
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    // Every table naming a client still names the rebuilt one, cascading; the rebuilt access_tokens names its user.
    const references = (table: string) => db.prepare<[string], { table: string; on_delete: string }>('SELECT "table", on_delete FROM pragma_foreign_key_list(?)').all(table);
    for (const table of [
      'authorization_codes',
      'refresh_tokens',
      'authorization_requests',
      'session_clients',
      'client_groups',
      'access_tokens',
      'client_apis',
      'device_codes',
      'client_assertion_jtis',
    ]) {
      expect(references(table), table).toContainEqual({ table: 'clients', on_delete: 'CASCADE' });
    }
    expect(references('access_tokens')).toContainEqual({ table: 'users', on_delete: 'CASCADE' });
    await expectRowsKept(raw, before);
    await expectConstraintsHold(raw);
  });
});
