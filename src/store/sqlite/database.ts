// Opens the SQLite file with the settings every connection needs, and applies migrations.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteSynchronous } from '../../config.js';
import { StoreUnavailableError } from '../../errors.js';
import { readMigrations, type Migration } from '../migrate.js';
import { SQLITE_MIGRATION_STEPS } from './migration-steps.js';

export type SqliteDatabase = Database.Database;

export interface SqliteOptions {
  /** FULL survives power loss after every commit; NORMAL (in WAL mode) may lose the last commits on power loss. */
  synchronous: SqliteSynchronous;
  /** How long a writer waits for another process's (the CLI's or the server's) lock, ms. */
  busyTimeoutMs?: number;
}

export function openSqliteDatabase(file: string, options: SqliteOptions): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file);
  } catch (error) {
    throw new StoreUnavailableError(`cannot open the SQLite database ${file}: ${(error as Error).message}`);
  }
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  // WAL lets the server read while the `idp` tool writes, and the reverse.
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous}`);
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own IMMEDIATE transaction (with
 * its step from migration-steps.ts, if it has one) so that two processes starting together apply each one
 * exactly once. Returns the versions it applied.
 */
export function migrateSqlite(db: SqliteDatabase, migrations: Migration[] = readMigrations('sqlite')): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const isApplied = db.prepare<[number], { version: number }>('SELECT version FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.version)) return false;
      db.exec(migration.sql);
      SQLITE_MIGRATION_STEPS.get(migration.version)?.(db);
      record.run(migration.version, migration.name, Date.now());
      return true;
    });
    try {
      if (apply.immediate()) applied.push(migration.version);
    } catch (error) {
      throw new StoreUnavailableError(`migration ${String(migration.version).padStart(4, '0')}_${migration.name} failed: ${(error as Error).message}`);
    }
  }
  return applied;
}

/** The versions recorded as applied, in order. */
export function appliedSqliteMigrations(db: SqliteDatabase): number[] {
  return db.prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => r.version);
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
