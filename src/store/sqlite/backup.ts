// The SQLite side of `idp backup` and `idp restore` (the rules are in src/manage/backup.ts): an online copy with
// SQLite's backup API (https://sqlite.org/backup.html), a look inside a file before it is trusted, and a look at
// a store before it is replaced. Everything here is a file operation: no Store, no audit.
import { closeSync, existsSync, fsyncSync, openSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { countOf, type TransferTable } from '../transfer/tables.js';
import type { SqliteDatabase } from './database.js';

/** How long a connection here waits for a server's write lock before it gives up, ms (as the tool's own). */
const BUSY_TIMEOUT_MS = 5000;

/**
 * better-sqlite3 copies 100 pages per turn of the event loop by default, and SQLite starts a copy again from
 * the first page whenever another connection writes between two steps: under steady load the copy could restart
 * for ever. Every page in one step is one read transaction instead: a consistent snapshot of the last commit
 * before it, taken while servers go on writing (WAL readers and writers do not block each other).
 */
const ALL_PAGES = 0x7fffffff;

/** The companions SQLite may keep beside a database file: the WAL, its index, and a rollback journal. */
export function companionsOf(file: string): string[] {
  return [`${file}-wal`, `${file}-shm`, `${file}-journal`];
}

/** Removes a file and its companions, if there (a copy that failed half-way). */
export function removeWithCompanions(file: string): void {
  for (const candidate of [file, ...companionsOf(file)]) rmSync(candidate, { force: true });
}

/** Flushes a file (or a directory, so that a rename in it is durable) to the disk. */
export function flush(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies the database open on `source` into `target`, which must exist (created empty by the caller, with its
 * mode: SQLite writes into it and keeps the mode). The copy is one snapshot of `source` (ALL_PAGES).
 */
export async function copyDatabase(source: SqliteDatabase, target: string): Promise<void> {
  await source.backup(target, { progress: () => ALL_PAGES });
}

/**
 * Opens an existing database file for reading only; SQLite's error (SQLITE_NOTADB, SQLITE_CANTOPEN…) is thrown as
 * is. A file in WAL mode (a copy of a live database rather than an `idp backup`) gets a `-wal` and `-shm` beside it,
 * which a read-only connection never deletes: `close` closes the connection and removes those it made.
 */
export function openForReading(file: string): { db: SqliteDatabase; close: () => void } {
  const existing = new Set(companionsOf(file).filter((companion) => existsSync(companion)));
  const tidy = () => {
    for (const companion of companionsOf(file)) if (!existing.has(companion)) rmSync(companion, { force: true });
  };
  let db: SqliteDatabase;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    tidy();
    throw error;
  }
  const close = () => {
    db.close();
    tidy();
  };
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return { db, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** Opens an existing database file to read and write it, without creating it (the live store, a fresh copy). */
export function openExisting(file: string): SqliteDatabase {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * `PRAGMA integrity_check` (https://sqlite.org/pragma.html#pragma_integrity_check): null when the file is sound,
 * else SQLite's first complaint.
 */
export function integrityProblem(db: SqliteDatabase): string | null {
  const rows = db.pragma('integrity_check(1)') as { integrity_check: string }[];
  const report = rows.map((row) => row.integrity_check).join('\n');
  if (report === 'ok') return null;
  return (
    report
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '' && !line.startsWith('***')) ?? report
  );
}

/** The migrations recorded in a database as applied, or null when it has no schema_migrations table. */
export function recordedMigrations(db: SqliteDatabase): { version: number; name: string }[] | null {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return null;
  return db.prepare<[], { version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version').all();
}

/**
 * A copy made to be kept: one file, with no WAL beside it (the rollback journal mode is written in the file's
 * header, so it also opens as a single file elsewhere; the server puts it back in WAL mode when it opens it).
 * Returns the integrity check's complaint (null when sound) and the last migration the copy records.
 */
export function settleCopy(file: string): { problem: string | null; schemaVersion: number } {
  const db = openExisting(file);
  try {
    db.pragma('journal_mode = DELETE');
    const problem = integrityProblem(db);
    if (problem !== null) return { problem, schemaVersion: 0 };
    return { problem, schemaVersion: recordedMigrations(db)?.at(-1)?.version ?? 0 };
  } finally {
    db.close();
  }
}

/**
 * How many rows each of `tables` holds, for the tables this database has (a missing table holds none), those a new
 * store makes by itself aside (countOf: the built-in management API). A database from before the column that tells
 * them apart has none of them, so there every row counts.
 */
export function rowCounts(db: SqliteDatabase, tables: readonly TransferTable[]): Map<string, number> {
  const present = new Set(
    db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => row.name),
  );
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const counts = new Map<string, number>();
  for (const table of tables) {
    if (!present.has(table.name)) continue;
    let n: number;
    try {
      n = count(countOf(table));
    } catch {
      n = count(`SELECT count(*) AS n FROM ${table.name}`);
    }
    counts.set(table.name, n);
  }
  return counts;
}

/**
 * Whether some other connection (a server, another `idp` command) has the database open. In WAL mode every
 * connection holds a shared lock on the file until it closes, and the last one to close checkpoints the WAL and
 * deletes it (https://sqlite.org/wal.html, "Persistence of WAL mode"): a WAL still there after our own
 * connection closed means another one is open. Call it once our connection is closed.
 */
export function openElsewhere(file: string): boolean {
  return existsSync(`${file}-wal`);
}
