// Opens the SQLite file with the settings every connection needs, and applies migrations.
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
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
  /** Told when a file's mode had to be tightened (secureDatabaseFiles); a process warning by default. */
  warn?: (message: string) => void;
}

/** The database and its companions hold password hashes, sealed second-factor keys and token hashes: owner only. */
const FILE_MODE = 0o600;
const DIRECTORY_MODE = 0o700;

function processWarning(message: string): void {
  process.emitWarning(message, { code: 'GATEHOUSE_FILE_MODE' });
}

function modeText(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Makes the database file and its WAL companions private to their owner, whatever the umask: a directory we
 * create is 0700, a database file we create is 0600 before SQLite first opens it. SQLite creates `-wal` and
 * `-shm` with the database file's own mode (os_unix.c, robust_open and findCreateFileMode), so they follow it
 * (test/store/sqlite-file-modes.test.ts checks that too). A file that exists with any group or other bit (made
 * by an older version under a 022 umask, or copied in) is tightened to 0600, with a warning: refusing to start
 * would stop every such installation at its upgrade, and the owner keeps all it needs. One that cannot be
 * tightened (another owner) is refused: the server does not run on a database others may read.
 */
export function secureDatabaseFiles(file: string, warn: (message: string) => void = processWarning): void {
  const directory = path.dirname(file);
  // mkdir's mode passes through the umask: set it again on the directory we created (not on one that was there).
  if (mkdirSync(directory, { recursive: true, mode: DIRECTORY_MODE }) !== undefined) chmodSync(directory, DIRECTORY_MODE);
  try {
    // O_EXCL: created here, by this call, or left alone; an empty file is an empty SQLite database.
    const fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, FILE_MODE);
    try {
      fchmodSync(fd, FILE_MODE);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const candidate of [file, `${file}-wal`, `${file}-shm`]) tighten(candidate, warn);
}

function tighten(file: string, warn: (message: string) => void): void {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(file, FILE_MODE);
  } catch (error) {
    throw new StoreUnavailableError(`${file} is accessible to other users (mode ${modeText(mode)}) and cannot be made private (${(error as Error).message}); run chmod 600 on it as its owner`);
  }
  warn(`${file} was accessible to other users (mode ${modeText(mode)}); its mode is now ${modeText(FILE_MODE)}`);
}

export function openSqliteDatabase(file: string, options: SqliteOptions): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    secureDatabaseFiles(file, options.warn);
    db = new Database(file);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
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
  const danglingReference = db.prepare<[], { table: string; parent: string }>('PRAGMA foreign_key_check');
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.version)) return false;
      db.exec(migration.sql);
      SQLITE_MIGRATION_STEPS.get(migration.version)?.(db);
      // Foreign keys are off while a migration runs (below), so they are checked here, before the commit.
      const dangling = danglingReference.get();
      if (dangling) throw new Error(`a row of ${dangling.table} names a missing row of ${dangling.parent}`);
      record.run(migration.version, migration.name, Date.now());
      return true;
    });
    // A table whose CHECK constraints change is rebuilt (https://sqlite.org/lang_altertable.html §7): dropping a
    // parent with foreign keys on would cascade its deletion into every child table. The pragma has no effect inside
    // a transaction, hence around it; the check above puts back the guarantee it suspends.
    db.pragma('foreign_keys = OFF');
    try {
      if (apply.immediate()) applied.push(migration.version);
    } catch (error) {
      throw new StoreUnavailableError(`migration ${String(migration.version).padStart(4, '0')}_${migration.name} failed: ${(error as Error).message}`);
    } finally {
      db.pragma('foreign_keys = ON');
    }
  }
  return applied;
}

/** The versions recorded as applied, in order. */
export function appliedSqliteMigrations(db: SqliteDatabase): number[] {
  return db
    .prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    .all()
    .map((r) => r.version);
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A row naming a parent that is not there (foreign_keys is ON on every connection). */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
