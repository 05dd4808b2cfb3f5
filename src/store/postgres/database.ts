// Opens the connection pool every PostgreSQL repository shares, runs their statements, and applies migrations.
import pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import { readMigrations, type Migration } from '../migrate.js';
import { POSTGRES_MIGRATION_STEPS } from './migration-steps.js';

export type PostgresPool = pg.Pool;

export interface PostgresOptions {
  /** postgres://USER:PASSWORD@HOST:5432/DATABASE; never echoed in an error, it holds the password. */
  url: string;
  poolSize: number;
  /** Work in this schema instead of the URL's search_path (tests give each store a schema of its own). */
  schema?: string;
}

const INT8_OID = 20;

// pg-types declares a parser as `any` and an OID as its own enum, though pg asks for any OID (an extension's types
// too): typed once here, so that no `any` leaks past this file.
const builtinParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => (text: string) => unknown;

/**
 * pg reads BIGINT as a string by default. Every BIGINT we store (millisecond times, audit ids) is far below
 * 2^53, so this pool, and only this pool, reads them as numbers, as better-sqlite3 does; a value that would
 * lose precision fails loudly instead.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid !== INT8_OID || format === 'binary') return builtinParser(oid, format);
    return (text: string) => {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new RangeError(`the BIGINT ${text} does not fit in a JavaScript number`);
      return value;
    };
  }) as pg.CustomTypesConfig['getTypeParser'],
};

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function openPostgresPool(options: PostgresOptions): PostgresPool {
  let connectionString = options.url;
  if (options.schema !== undefined) {
    if (!SCHEMA_NAME.test(options.schema)) throw new StoreUnavailableError(`the schema name ${JSON.stringify(options.schema)} is not a plain identifier`);
    // The URL's own parameters override pg's config object, so the search_path goes into the URL; a later -c wins.
    const url = new URL(options.url);
    url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} -c search_path=${options.schema}`.trim());
    connectionString = url.toString();
  }
  const pool = new pg.Pool({ connectionString, max: options.poolSize, types, connectionTimeoutMillis: 10_000 });
  // An idle connection that the server drops emits 'error' on the pool, which would otherwise end the process;
  // the pool has already discarded it and opens a new one on demand, and the next query reports any outage.
  pool.on('error', () => undefined);
  return pool;
}

/** A named statement: each pooled connection parses and plans it once, as better-sqlite3 prepares a statement. */
export interface Statement {
  name: string;
  text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text };
}

/** pg's own words for a connection it could not open, lost, or was asked for after the pool ended. */
const CONNECTION_FAILURE = /connect|Connection terminated|not queryable|after calling end on the pool/i;

/**
 * The server refusing or dropping connections (SQLSTATE classes 08, 53 and 57P), or the socket failing (a Node
 * system error code such as ECONNREFUSED, or one of pg's connection messages): the store is unreachable.
 */
function isUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return /^(08|53|57P)/.test(error.code ?? '');
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && /^E[A-Z]+$/.test(code)) || CONNECTION_FAILURE.test(error.message);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one statement; an unreachable database becomes StoreUnavailableError, any other error is rethrown as is. */
export async function query<R extends pg.QueryResultRow>(pool: PostgresPool, sql: Statement | string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(typeof sql === 'string' ? { text: sql, values } : { name: sql.name, text: sql.text, values });
  } catch (error) {
    if (isUnavailable(error)) throw new StoreUnavailableError(`the PostgreSQL database is unavailable: ${describe(error)}`);
    throw error;
  }
}

/**
 * Runs `work` in one transaction on one pooled connection: committed if it resolves, rolled back if it throws.
 * A connection whose transaction state is unknown (a failed ROLLBACK) is closed, not handed back to the pool.
 */
export async function inTransaction<T>(pool: PostgresPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new StoreUnavailableError(`the PostgreSQL database is unavailable: ${describe(error)}`);
  }
  let discard = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      discard = true;
    });
    if (isUnavailable(error)) throw new StoreUnavailableError(`the PostgreSQL database is unavailable: ${describe(error)}`);
    throw error;
  } finally {
    client.release(discard);
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505';
}

export function isForeignKeyViolation(error: unknown, constraint: string): boolean {
  return error instanceof pg.DatabaseError && error.code === '23503' && error.constraint === constraint;
}

/** A row naming a parent that is not there, whichever foreign key refused it. */
export function isAnyForeignKeyViolation(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23503';
}

// Two int4 keys: one for "Gatehouse migrations", one for the schema, so that stores in different schemas of one
// database (the tests) migrate side by side while nodes sharing a schema take turns.
const LOCK_KEYS = "hashtext('gatehouse.schema_migrations'), hashtext(coalesce(current_schema(), ''))";

function label(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction (with its step from
 * migration-steps.ts, if it has one), while holding a session-level advisory lock: nodes starting together
 * wait for each other, and each migration runs exactly once. Returns the versions this call applied. A migration that cannot run in a transaction (CREATE INDEX
 * CONCURRENTLY) does not belong here.
 */
export async function migratePostgres(pool: PostgresPool, migrations: Migration[] = readMigrations('postgres')): Promise<number[]> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new StoreUnavailableError(`cannot connect to PostgreSQL to migrate: ${describe(error)}`);
  }
  // A connection whose lock or transaction state is unknown is closed, not handed back to the pool.
  let discard = false;
  try {
    await client.query(`SELECT pg_advisory_lock(${LOCK_KEYS})`);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const applied: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await POSTGRES_MIGRATION_STEPS.get(migration.version)?.(client);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {
            discard = true;
          });
          throw new StoreUnavailableError(`migration ${label(migration)} failed: ${describe(error)}`);
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEYS})`).catch(() => {
        discard = true;
      });
    }
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    discard = true;
    throw new StoreUnavailableError(`migrating the PostgreSQL database failed: ${describe(error)}`);
  } finally {
    client.release(discard);
  }
}

/** The versions recorded as applied, in order; none before the first migration. */
export async function appliedPostgresMigrations(pool: PostgresPool): Promise<number[]> {
  try {
    const table = await pool.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
    if (!table.rows[0]?.exists) return [];
    return (await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
  } catch (error) {
    throw new StoreUnavailableError(`cannot read the applied PostgreSQL migrations: ${describe(error)}`);
  }
}
