// `idp restore`: puts a backup made by `idp backup` in place of an empty SQLite store, with no server running.
// The input is checked before anything is written (a SQLite file, sound by SQLite's integrity check, made by
// Gatehouse at this schema version or an earlier one); it is copied with the backup API under a temporary name in
// DATA_DIR, migrated forward, audited `store.restored` there, and renamed into place: a restore that fails half-way
// leaves the store as it was. The signing keys and the secrets key are KEYS_DIR's business: they are reported on,
// never written (docs/backups.md).
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { SECRETS_KEY_FILE } from '../auth/secret-box.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConflictError, StoreUnavailableError, ValidationError } from '../errors.js';
import { readMigrations } from '../store/migrate.js';
import { secureDatabaseFiles, type SqliteDatabase } from '../store/sqlite/database.js';
import { copyDatabase, flush, integrityProblem, openElsewhere, openExisting, openForReading, recordedMigrations, removeWithCompanions, rowCounts } from '../store/sqlite/backup.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import { TRANSFER_TABLES } from '../store/transfer/tables.js';
import { temporaryBeside } from './backup.js';
import { holdsSealedSecrets } from './transfer-secrets.js';

export const POSTGRES_RESTORE_REFUSAL =
  'idp restore puts a SQLite backup in place of the SQLite store, and this one is PostgreSQL (DATABASE_URL): restore a pg_dump archive with `pg_restore --no-owner --dbname="$DATABASE_URL" gatehouse.dump` into an empty database, or an `idp export` file with `idp import` (docs/backups.md)';

export interface RestoreContext {
  config: Config;
  clock: Clock;
  /** Who asked, for the audit log (`cli`). */
  actor: string;
}

export interface RestoreResult {
  file: string;
  input: string;
  /** The schema version of the backup, and the one the store has now (migrated forward). */
  fromSchemaVersion: number;
  schemaVersion: number;
  at: number;
  keysDir: string;
  /** Private signing keys found in KEYS_DIR: none means the server will make a new one at start. */
  signingKeyFiles: number;
  /** Whether KEYS_DIR/secrets.key is there, which opens the sealed secrets (authenticators, providers, webhooks). */
  secretsKey: boolean;
  /** Rows of the backup holding a value under the secrets key (transfer-secrets.ts): they need the secrets.key backed up with it. */
  sealedRows: number;
}

/** Opens the input and checks it is a sound Gatehouse database this version can take; returns it open, and its version. */
function openInput(input: string, target: string): { db: SqliteDatabase; close: () => void; version: number; sealedRows: number } {
  if (!existsSync(input)) throw new ValidationError('input', `cannot read ${input}: there is no such file`);
  if (!statSync(input).isFile()) throw new ValidationError('input', `${input} is not a file`);
  if (path.resolve(input) === path.resolve(target)) throw new ValidationError('input', `${input} is the configured database itself: restore from a backup file`);
  let reading: ReturnType<typeof openForReading> | undefined;
  try {
    reading = openForReading(input);
    // The header is read at the first statement, not at open: a file that is not a database fails here.
    reading.db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    reading?.close();
    if ((error as { code?: unknown }).code === 'SQLITE_NOTADB') throw new ValidationError('input', `${input} is not a SQLite database`);
    throw new ValidationError('input', `cannot read ${input}: ${(error as Error).message}`);
  }
  const { db, close } = reading;
  try {
    const problem = integrityProblem(db);
    if (problem !== null) throw new ValidationError('input', `${input} fails SQLite's integrity check (${problem}): restore another backup`);
    const recorded = recordedMigrations(db);
    if (recorded === null || recorded.length === 0) throw new ValidationError('input', `${input} is a SQLite database but not a Gatehouse one (it records no migrations)`);
    const ours = readMigrations('sqlite');
    const version = recorded.at(-1)?.version ?? 0;
    if (version > ours.length) {
      throw new ValidationError(
        'input',
        `${input} was made at schema version ${version} and this Gatehouse is at ${ours.length}: restore it with the Gatehouse version that made it, or a later one`,
      );
    }
    recorded.forEach((migration, index) => {
      const expected = ours[index];
      if (migration.version !== index + 1 || migration.name !== expected?.name) {
        throw new ValidationError(
          'input',
          `${input} is a SQLite database but not a Gatehouse one (its migration ${migration.version} is ${JSON.stringify(migration.name)}, Gatehouse's is ${JSON.stringify(expected?.name ?? null)})`,
        );
      }
    });
    const sealed = rowCounts(
      db,
      TRANSFER_TABLES.filter((table) => holdsSealedSecrets(table.name)),
    );
    return { db, close, version, sealedRows: [...sealed.values()].reduce((sum, n) => sum + n, 0) };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * Refuses a store that holds anything, or that another process has open. Empty means: no database file, or one
 * whose every table of the transfer set (src/store/transfer/tables.ts, the tables `idp import` also wants empty) has
 * no row, the built-in management API aside (every start makes it). A server stopped with nothing done leaves an
 * empty store; one that served anybody does not.
 */
function assertReplaceable(config: Config): void {
  const file = config.sqliteFile;
  if (!existsSync(file) && !existsSync(`${file}-wal`)) return;
  let counts: Map<string, number>;
  let db: SqliteDatabase;
  try {
    db = openExisting(file);
  } catch (error) {
    throw new StoreUnavailableError(`cannot read the configured database ${file}: ${(error as Error).message}`);
  }
  try {
    counts = rowCounts(db, TRANSFER_TABLES);
  } finally {
    db.close();
  }
  if (openElsewhere(file)) throw new ConflictError(`${file} is open in another process (a running server, or another idp command): stop every server on DATA_DIR ${config.dataDir} first`);
  const held = [...counts].filter(([, n]) => n > 0).map(([table, n]) => `${n} ${table}`);
  if (held.length > 0) {
    throw new ConflictError(`the configured store is not empty (${held.join(', ')}): restore only into a new DATA_DIR (move ${config.dataDir} aside), with no server running`);
  }
}

function keysDirState(keysDir: string): { signingKeyFiles: number; secretsKey: boolean } {
  const files = existsSync(keysDir) ? readdirSync(keysDir) : [];
  return { signingKeyFiles: files.filter((file) => file.endsWith('.key.pem')).length, secretsKey: files.includes(SECRETS_KEY_FILE) };
}

/** Checks the input and the store, then copies, migrates, audits and renames (see the top of this file). */
export async function restoreStore(ctx: RestoreContext, request: { input: string }): Promise<RestoreResult> {
  const { config } = ctx;
  if (config.database.engine === 'postgres') throw new ConflictError(POSTGRES_RESTORE_REFUSAL);
  const input = path.resolve(request.input);
  const target = config.sqliteFile;
  const opened = openInput(input, target);
  let temporary: string | null = null;
  let schemaVersion: number;
  const at = ctx.clock.now();
  try {
    assertReplaceable(config);
    temporary = temporaryBeside(target, 'restoring');
    // DATA_DIR (0700) and the file (0600) are made private before SQLite writes a page, as for the live store.
    secureDatabaseFiles(temporary);
    await copyDatabase(opened.db, temporary);
  } catch (error) {
    if (temporary !== null) removeWithCompanions(temporary);
    throw error;
  } finally {
    opened.close();
  }
  try {
    // Migrated forward and audited under the temporary name: the store takes its place only once both are done.
    const store = openSqliteStore({ file: temporary, synchronous: config.sqliteSynchronous, auditChainKey: config.auditChainKey });
    try {
      schemaVersion = await store.transfer.schemaVersion();
      await store.audit.append({
        at: ctx.clock.now(),
        type: 'store.restored',
        actor: ctx.actor,
        subject: null,
        ip: null,
        details: { input, from_schema_version: opened.version, schema_version: schemaVersion },
      });
    } finally {
      await store.close();
    }
    // Our connection was the only one, so closing it folded the WAL into the file; a WAL left means it was not.
    if (openElsewhere(temporary)) throw new StoreUnavailableError(`${temporary} was opened by another process while it was being restored`);
    // Checked again at the last moment: a server started meanwhile would be left on a file that is no longer there.
    assertReplaceable(config);
    flush(temporary);
    renameSync(temporary, target);
    flush(path.dirname(target));
  } catch (error) {
    removeWithCompanions(temporary);
    throw error;
  }
  return { file: target, input, fromSchemaVersion: opened.version, schemaVersion, at, keysDir: config.keysDir, sealedRows: opened.sealedRows, ...keysDirState(config.keysDir) };
}
