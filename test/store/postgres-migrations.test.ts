// PostgreSQL migrations: the same list as SQLite's; under the advisory lock, nodes starting together apply each
// migration exactly once; a broken one rolls back, names itself, and leaves the lock free.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { migrationsDir } from '../../src/paths.js';
import { readMigrations } from '../../src/store/migrate.js';
import { appliedPostgresMigrations, migratePostgres, openPostgresPool, type PostgresPool } from '../../src/store/postgres/database.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresUserRepository } from '../../src/store/postgres/users.js';
import { freshPostgresSchema, TEST_DATABASE_URL } from '../helpers/postgres.js';
import { BEFORE_0013, expectConstraintsHold, expectRowsKept, rowsAt0012, snapshot, type RawDatabase } from './before-0013.js';
import { expectUnbrokenChain } from './chain-check.js';

/** Every shipped migration's version, in order. */
const ALL = readMigrations('postgres').map((migration) => migration.version);

describe('PostgreSQL migrations, without a database', () => {
  it('match the SQLite migrations number for number and name for name', () => {
    const names = (engine: 'sqlite' | 'postgres') => readMigrations(engine).map((m) => `${m.version}_${m.name}`);
    expect(names('postgres')).toEqual(names('sqlite'));
  });

  it('refuse to open a store on an unreachable server with StoreUnavailableError, never echoing the password', async () => {
    const failure = await openPostgresStore({ url: 'postgres://gatehouse:s3cret-pw@127.0.0.1:1/nowhere', poolSize: 1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).not.toContain('s3cret-pw');
  });
});

const onDatabase = TEST_DATABASE_URL ? 'PostgreSQL migrations' : 'PostgreSQL migrations: skipped, set TEST_DATABASE_URL to run them';

describe.skipIf(!TEST_DATABASE_URL)(onDatabase, () => {
  const url = TEST_DATABASE_URL ?? '';
  let schema: string;
  let drop: () => Promise<void>;
  let dir: string;
  const pools: PostgresPool[] = [];

  /** One node's connection pool on the test schema. */
  function node(poolSize = 2): PostgresPool {
    const pool = openPostgresPool({ url, poolSize, schema });
    pools.push(pool);
    return pool;
  }

  /** A migrations folder holding the shipped migrations up to `upTo`, plus the given extra files. */
  function migrationsFolder(upTo: number, extra: Record<string, string>): string {
    const folder = fs.mkdtempSync(path.join(dir, 'migrations-'));
    for (const file of fs.readdirSync(path.join(migrationsDir, 'postgres'))) {
      if (Number(file.slice(0, 4)) <= upTo) fs.copyFileSync(path.join(migrationsDir, 'postgres', file), path.join(folder, file));
    }
    for (const [name, sql] of Object.entries(extra)) fs.writeFileSync(path.join(folder, name), sql);
    return folder;
  }

  async function tableNames(pool: PostgresPool): Promise<string[]> {
    const { rows } = await pool.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name');
    return rows.map((row) => row.table_name);
  }

  beforeEach(async () => {
    ({ schema, drop } = await freshPostgresSchema(url));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-'));
  });

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    await drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration to a new schema, records it, and applies nothing the second time', async () => {
    const pool = node();
    expect(await appliedPostgresMigrations(pool)).toEqual([]);
    expect(await migratePostgres(pool)).toEqual(ALL);
    expect(await migratePostgres(pool)).toEqual([]);
    expect(await appliedPostgresMigrations(pool)).toEqual(ALL);
    expect(await tableNames(pool)).toEqual(
      expect.arrayContaining([
        'users',
        'clients',
        'signing_keys',
        'sessions',
        'authorization_codes',
        'refresh_tokens',
        'audit_events',
        'authorization_requests',
        'access_tokens',
        'session_clients',
        'schema_migrations',
      ]),
    );
  });

  it('applies each migration exactly once when six nodes migrate one schema at the same time', async () => {
    // The slow last migration widens the window in which an unlocked runner would apply it twice.
    const last = ALL.length + 1;
    const folder = migrationsFolder(ALL.length, {
      [`${String(last).padStart(4, '0')}_count_runs.sql`]: 'CREATE TABLE runs (n INTEGER);\nSELECT pg_sleep(0.3);\nINSERT INTO runs VALUES (1);\n',
    });
    const nodes = Array.from({ length: 6 }, () => node());
    const applied = await Promise.all(nodes.map((pool) => migratePostgres(pool, readMigrations('postgres', folder))));
    expect(applied.flat().sort((a, b) => a - b)).toEqual([...ALL, last]);
    expect(await appliedPostgresMigrations(nodes[0]!)).toEqual([...ALL, last]);
    expect((await nodes[0]!.query('SELECT n FROM runs')).rows).toEqual([{ n: 1 }]);
  });

  it('fails a broken migration with StoreUnavailableError naming it, rolls back everything it did, and frees the lock', async () => {
    const folder = migrationsFolder(1, { '0002_broken.sql': 'CREATE TABLE half_done (x INTEGER);\nCREATE TABLE oops (;\n' });
    const pool = node(1);
    const failure = await migratePostgres(pool, readMigrations('postgres', folder)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toContain('0002_broken');
    expect(await tableNames(pool)).not.toContain('half_done');
    expect(await tableNames(pool)).toContain('users');
    expect(await appliedPostgresMigrations(pool)).toEqual([1]);
    // Another node is not kept waiting by a lock the failed run still holds, and carries on from 0002.
    expect(await migratePostgres(node(1))).toEqual(ALL.slice(1));
  });

  it('changes clients and access_tokens in 0013 keeping every row and every foreign key, and then holds the new CHECKs (issue 22)', async () => {
    const pool = node();
    await migratePostgres(
      pool,
      readMigrations('postgres').filter((migration) => migration.version <= BEFORE_0013),
    );
    for (const sql of rowsAt0012(1_700_000_000_000)) await pool.query(sql);
    const raw: RawDatabase = {
      rows: async (sql) => (await pool.query<Record<string, unknown>>(sql)).rows,
      run: async (sql) => {
        await pool.query(sql);
      },
    };
    const before = await snapshot(raw);
    expect(await migratePostgres(pool)).toEqual(ALL.slice(BEFORE_0013));
    await expectRowsKept(raw, before);
    await expectConstraintsHold(raw);
  });

  it('keeps refresh tokens written before 0003 usable: their grant ends when they do', async () => {
    const pool = node();
    await migratePostgres(
      pool,
      readMigrations('postgres').filter((migration) => migration.version <= 2),
    );
    await pool.query("INSERT INTO users (id, email, email_normalized, password_hash, created_at, updated_at) VALUES ('u1', 'a@example.com', 'a@example.com', 'h', 1, 1)");
    await pool.query(
      "INSERT INTO clients (client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, grant_types, scopes, created_at, updated_at) VALUES ('rp', 'RP', 'confidential', 'x', 'client_secret_basic', '[]', '[]', '[]', '[]', 1, 1)",
    );
    await pool.query(
      "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, auth_time, created_at, expires_at) VALUES ('old', 'g', 'rp', 'u1', 'openid offline_access', 1, 1, 5000)",
    );
    const store = await openPostgresStore({ url, poolSize: 1, schema });
    try {
      expect(await store.refreshTokens.find('old')).toMatchObject({ expiresAt: 5000, grantExpiresAt: 5000, kid: null, amr: [] });
    } finally {
      await store.close();
    }
  });

  it('links the audit events written before 0005 into the hash chain in id order, and appends after them', async () => {
    const pool = node();
    await migratePostgres(
      pool,
      readMigrations('postgres').filter((migration) => migration.version <= 4),
    );
    const insert = 'INSERT INTO audit_events (at, type, actor, subject, ip, details) VALUES ($1, $2, $3, $4, $5, $6)';
    await pool.query(insert, [1000, 'user.created', 'cli', 'u1', null, JSON.stringify({ email: 'a@example.com' })]);
    await pool.query(insert, [1001, 'client.created', 'u1', 'rp', '203.0.113.7', JSON.stringify({})]);
    await pool.query(insert, [1002, 'user.deleted', 'system', null, null, JSON.stringify({ n: 1, list: [true, null, 'ü'] })]);
    const store = await openPostgresStore({ url, poolSize: 2, schema });
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
    const pool = node();
    await migratePostgres(
      pool,
      readMigrations('postgres').filter((migration) => migration.version <= 4),
    );
    const insert = 'INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at) VALUES ($1, $2, $2, $3, $4, 1, 1)';
    await pool.query(insert, ['u1', 'ed@example.fr', 'ÉDITH Piaf', 'h']);
    await pool.query(insert, ['u2', 'nn@example.com', null, 'h']);
    const store = await openPostgresStore({ url, poolSize: 2, schema });
    try {
      expect((await store.users.list({ limit: 10, search: 'édith p' })).items.map((user) => user.id)).toEqual(['u1']);
      expect((await store.users.list({ limit: 10, search: 'nn@' })).items.map((user) => user.id)).toEqual(['u2']);
    } finally {
      await store.close();
    }
  });
  /** The definitions of the users search's trigram indexes in the schema of `pool`. */
  async function trigramIndexes(pool: PostgresPool): Promise<string[]> {
    const { rows } = await pool.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'users' AND indexdef LIKE '%gin_trgm_ops%' ORDER BY indexname",
    );
    return rows.map((row) => row.indexdef);
  }

  it('indexes the users written before 0005 for the search with pg_trgm, which the indexes find outside the schema', async () => {
    const pool = node();
    await migratePostgres(
      pool,
      readMigrations('postgres').filter((migration) => migration.version <= 4),
    );
    const insert = 'INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, 1)';
    await pool.query(insert, ['u1', 'ed@example.fr', 'ed@example.fr', 'ÉDITH Piaf', 'h']);
    await pool.query(insert, ['u2', 'nn@example.com', 'nn@example.com', null, 'h']);
    await pool.query(insert, ['u3', 'Kenji@Example.JP', 'kenji@example.jp', 'Yamada Kenji', 'h']);
    expect(await migratePostgres(pool)).toEqual(ALL.slice(4));
    const indexes = await trigramIndexes(pool);
    expect(indexes).toHaveLength(2);
    expect(indexes.join('\n')).toMatch(/users_email_trigrams .*gin \(email_normalized \S+\.gin_trgm_ops\)/);
    expect(indexes.join('\n')).toMatch(/users_name_trigrams .*gin \(name_normalized \S+\.gin_trgm_ops\)/);
    // The indexes answer LIKE, with no search_path beyond this schema (the extension lives elsewhere).
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = (await client.query<{ 'QUERY PLAN': string }>("EXPLAIN SELECT id FROM users WHERE name_normalized LIKE '%édith%'")).rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toContain('users_name_trigrams');
      expect((await client.query("SELECT id FROM users WHERE name_normalized LIKE '%édith p%' OR email_normalized LIKE '%édith p%'")).rows).toEqual([{ id: 'u1' }]);
    } finally {
      client.release();
    }
    // Through the indexes: every search under the cap asks them.
    const users = new PostgresUserRepository(pool, { indexCap: 100, sampleSize: 2000, sampleMaxAgeMs: 60_000 });
    const ids = async (search: string) => (await users.list({ limit: 10, search })).items.map((user) => user.id);
    expect(await ids('édith p')).toEqual(['u1']);
    expect(await ids('nn@example')).toEqual(['u2']);
    expect(await ids('yamada')).toEqual(['u3']);
    expect(await ids('@example.')).toEqual(['u1', 'u3', 'u2']);
  });

  it('gives every schema its trigram indexes when several migrate at once, pg_trgm installed once in the database', async () => {
    const others = await Promise.all([freshPostgresSchema(url), freshPostgresSchema(url)]);
    const otherPools = others.map((other) => openPostgresPool({ url, poolSize: 1, schema: other.schema }));
    try {
      await Promise.all([node(), ...otherPools].map((pool) => migratePostgres(pool)));
      for (const pool of [pools[0]!, ...otherPools]) expect(await trigramIndexes(pool)).toHaveLength(2);
      expect((await pools[0]!.query("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'")).rows).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all(otherPools.map((pool) => pool.end()));
      await Promise.all(others.map((other) => other.drop()));
    }
  });

  it("fails closed on the verification links written before 0008 whose address is not the account's, keeps the rest, and admits change links and re-authentication times after", async () => {
    const pool = node();
    await migratePostgres(
      pool,
      readMigrations('postgres').filter((migration) => migration.version <= 7),
    );
    await pool.query("INSERT INTO users (id, email, email_normalized, password_hash, created_at, updated_at) VALUES ('u1', 'bob@real.example', 'bob@real.example', 'h', 1, 1)");
    await pool.query("INSERT INTO sessions (id_hash, sid, user_id, amr, auth_time, created_at, last_seen_at, expires_at) VALUES ('s1', 'sid-1', 'u1', '[\"pwd\"]', 1, 1, 1, $1)", [
      Date.now() + 3_600_000,
    ]);
    const insert = "INSERT INTO account_tokens (token_hash, purpose, user_id, email, created_at, expires_at, used_at) VALUES ($1, $2, 'u1', $3, 1, $4, $5)";
    const expiresAt = Date.now() + 3_600_000;
    // A verification of an address the account has since left, and a change waiting for its confirmation: one kind then.
    await pool.query(insert, ['stale-verification', 'email_verification', 'bob@typo.example', expiresAt, null]);
    await pool.query(insert, ['pending-change', 'email_verification', 'bob@new.example', expiresAt, null]);
    await pool.query(insert, ['own-verification', 'email_verification', 'bob@real.example', expiresAt, null]);
    await pool.query(insert, ['reset', 'password_reset', 'bob@real.example', expiresAt, null]);
    await pool.query(insert, ['used-before', 'email_verification', 'bob@typo.example', expiresAt, 5]);
    const before = Date.now();
    expect(await migratePostgres(pool)).toEqual(ALL.slice(7));
    const usedAt = async (hash: string) =>
      Number((await pool.query<{ used_at: string | null }>('SELECT used_at FROM account_tokens WHERE token_hash = $1', [hash])).rows[0]?.used_at ?? Number.NaN);
    expect(await usedAt('stale-verification')).toBeGreaterThanOrEqual(before - 1000);
    expect(await usedAt('pending-change')).toBeGreaterThanOrEqual(before - 1000);
    expect((await pool.query('SELECT token_hash FROM account_tokens WHERE used_at IS NULL ORDER BY token_hash')).rows).toEqual([{ token_hash: 'own-verification' }, { token_hash: 'reset' }]);
    expect(await usedAt('used-before')).toBe(5);
    const store = await openPostgresStore({ url, poolSize: 2, schema });
    try {
      const now = Date.now();
      expect(await store.accountTokens.findLive('own-verification', 'email_verification', now)).not.toBeNull();
      await store.accountTokens.create({ tokenHash: 'change', purpose: 'email_change', userId: 'u1', email: 'bob@new.example', createdAt: now, expiresAt: now + 60_000 });
      expect(await store.accountTokens.findLive('change', 'email_change', now)).toMatchObject({ email: 'bob@new.example' });
      await expect(
        store.accountTokens.create({ tokenHash: 'odd', purpose: 'sign_in' as never, userId: 'u1', email: 'bob@real.example', createdAt: now, expiresAt: now + 60_000 }),
      ).rejects.toThrow();
      expect((await store.sessions.findLive('s1', now))?.reauthenticatedAt).toBeNull();
      await store.sessions.reauthenticate('s1', now);
      expect(await store.sessions.findLive('s1', now)).toMatchObject({ authTime: 1, reauthenticatedAt: now });
    } finally {
      await store.close();
    }
  });
});
