// A fresh store with many users, fast: the schema comes from the project's own migrations, the seeded rows go
// in with one bulk insert (one SQLite transaction, or PostgreSQL batches of unnest() arrays) in the columns of
// src/store/rows/users.ts, all sharing one argon2id hash (they never sign in). The administrator who signs in
// is created through the project's own createUser, and the signing key is made before the server starts, as
// bench/servers/gatehouse.ts does. The groups and their memberships (issue 21) follow the users the same way
// (./seed-groups.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { hashPassword } from '../../src/auth/password-hash.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createUser } from '../../src/manage/users.js';
import { openKeyStore, openStore } from '../../src/services.js';
import { COLUMNS, normalizeName } from '../../src/store/rows/users.js';
import { migrateSqlite, openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { freshPostgresSchema } from '../../test/helpers/postgres.js';
import { freePort } from '../servers/process.js';
import { BENCH_USER } from '../target.js';
import type { GroupPopulation } from './groups.js';
import { ADMIN, type SeedUser } from './population.js';
import { insertGroupsPostgres, insertGroupsSqlite } from './seed-groups.js';

export type Engine = 'sqlite' | 'postgres';

export interface SeededStore {
  engine: Engine;
  /** The server's environment: loopback, a free port, this store. */
  env: Record<string, string>;
  issuer: string;
  /** The server's configuration, for what the benchmark reads from the store itself (./groups-of.ts). */
  config: Config;
  admin: { email: string; name: string; password: string };
  /**
   * Milliseconds: the bulk insert of the seeded users, of the groups with their memberships (each with VACUUM
   * ANALYZE on PostgreSQL), and everything (hashes, admin, key).
   */
  insertMs: number;
  groupsInsertMs: number;
  totalMs: number;
  /** Removes the temporary directory and drops the PostgreSQL schema. */
  drop(): Promise<void>;
}

const COLUMN_NAMES = COLUMNS.split(',').map((c) => c.trim());

/** Each column of the users table, from a seeded user; a column this does not know stops the bench. */
function valueOf(column: string, user: SeedUser, passwordHash: string): string | number | boolean | null {
  switch (column) {
    case 'id':
      return user.id;
    case 'email':
      return user.email;
    case 'email_normalized':
      return user.emailNormalized;
    case 'name':
      return user.name;
    case 'name_normalized':
      return normalizeName(user.name);
    case 'password_hash':
      return passwordHash;
    case 'is_admin':
      return false;
    case 'disabled':
      return user.disabled;
    case 'email_verified':
      return user.emailVerified;
    case 'has_password':
      return true;
    case 'created_at':
      return user.createdAt;
    case 'updated_at':
      return user.createdAt;
    // Issue 25: not chosen, as for a person who never picked a language or a time zone.
    case 'locale':
    case 'time_zone':
      return null;
    // Issue 26: the management API's ETag version, 1 for a row never updated.
    case 'version':
      return 1;
    default:
      throw new Error(`the users table has a column the seeding does not know: ${column} (bench/admin-users/seed.ts)`);
  }
}

const POSTGRES_TYPES: Record<string, string> = {
  is_admin: 'boolean',
  disabled: 'boolean',
  email_verified: 'boolean',
  has_password: 'boolean',
  created_at: 'bigint',
  updated_at: 'bigint',
  version: 'bigint',
};

/** Returns the milliseconds each insert took: the users (with the migrations), then the groups. */
function insertSqlite(file: string, synchronous: 'FULL' | 'NORMAL', users: SeedUser[], passwordHash: string, groups: GroupPopulation): { usersMs: number; groupsMs: number } {
  const started = performance.now();
  const db = openSqliteDatabase(file, { synchronous });
  try {
    migrateSqlite(db);
    const insert = db.prepare(`INSERT INTO users (${COLUMNS}) VALUES (${COLUMN_NAMES.map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (const user of users) {
        insert.run(
          ...COLUMN_NAMES.map((column) => {
            const value = valueOf(column, user, passwordHash);
            return typeof value === 'boolean' ? Number(value) : value;
          }),
        );
      }
    })();
    const usersMs = performance.now() - started;
    insertGroupsSqlite(db, users, groups);
    return { usersMs, groupsMs: performance.now() - started - usersMs };
  } finally {
    db.close();
  }
}

const POSTGRES_BATCH = 10_000;

async function insertPostgres(url: string, users: SeedUser[], passwordHash: string, groups: GroupPopulation): Promise<{ usersMs: number; groupsMs: number }> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sql = `INSERT INTO users (${COLUMNS}) SELECT * FROM unnest(${COLUMN_NAMES.map((c, i) => `$${i + 1}::${POSTGRES_TYPES[c] ?? 'text'}[]`).join(', ')})`;
    await client.query('BEGIN');
    for (let start = 0; start < users.length; start += POSTGRES_BATCH) {
      const batch = users.slice(start, start + POSTGRES_BATCH);
      await client.query(
        sql,
        COLUMN_NAMES.map((column) => batch.map((user) => valueOf(column, user, passwordHash))),
      );
    }
    await client.query('COMMIT');
    // What autovacuum does within a minute of such a load (PostgreSQL 13+ vacuums after inserts too): statistics
    // for the planner, and the visibility map without which an index-only scan still reads every table row.
    // Done here, so that autovacuum does not do it in the middle of the measurements.
    await client.query('VACUUM (ANALYZE) users');
    const usersMs = performance.now() - started;
    await insertGroupsPostgres(client, users, groups);
    return { usersMs, groupsMs: performance.now() - started - usersMs };
  } finally {
    await client.end();
  }
}

/** A temporary DATA_DIR (SQLite) or a fresh schema of `databaseUrl` (PostgreSQL), seeded with `users`, their groups and the admin. */
export async function seedStore(engine: Engine, users: SeedUser[], groups: GroupPopulation, databaseUrl?: string): Promise<SeededStore> {
  const started = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-users-'));
  let dropSchema = async (): Promise<void> => undefined;
  const drop = async () => {
    await dropSchema();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys') };
    if (engine === 'postgres') {
      if (!databaseUrl) throw new Error('PostgreSQL needs a database URL');
      const schema = await freshPostgresSchema(databaseUrl);
      dropSchema = schema.drop;
      env.DATABASE_URL = schema.url;
      env.KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');
    }
    const config = loadConfig(env, dir);
    // One hash for every seeded user: a password nobody is told.
    const sharedHash = await hashPassword(randomBytes(24).toString('base64url'));

    let inserted: { usersMs: number; groupsMs: number };
    let store;
    if (engine === 'sqlite') {
      inserted = insertSqlite(config.sqliteFile, config.sqliteSynchronous, users, sharedHash, groups);
      store = await openStore(config);
    } else {
      store = await openStore(config); // migrates the fresh schema
      inserted = await insertPostgres(env.DATABASE_URL ?? '', users, sharedHash, groups);
    }
    try {
      const ctx = { store, clock: systemClock, passwordMinLength: config.passwordMinLength, actor: 'bench' };
      await createUser(ctx, { email: ADMIN.email, name: ADMIN.name, password: BENCH_USER.password, isAdmin: true });
      await openKeyStore(config, store).load(systemClock.now());
    } finally {
      await store.close();
    }
    return {
      engine,
      env,
      issuer,
      config,
      admin: { ...ADMIN, password: BENCH_USER.password },
      insertMs: inserted.usersMs,
      groupsInsertMs: inserted.groupsMs,
      totalMs: performance.now() - started,
      drop,
    };
  } catch (error) {
    await drop();
    throw error;
  }
}
