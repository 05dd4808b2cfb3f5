// `idp backup`: a consistent copy of the SQLite store, made while servers run. The copy is written under a
// temporary name beside the output (mode 0600: it holds password hashes and token hashes), checked with SQLite's
// integrity check, and only then renamed into place, so the output is never a half-written file. The signing keys
// and the secrets key are files in KEYS_DIR, not rows: the copy is the database only (docs/backups.md).
// PostgreSQL is refused: pg_dump is the tool there, and `idp export` the portable path.
import { randomBytes } from 'node:crypto';
import { existsSync, fchmodSync, openSync, closeSync, realpathSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConflictError, NotFoundError, StoreUnavailableError, ValidationError } from '../errors.js';
import { companionsOf, copyDatabase, flush, openExisting, removeWithCompanions, settleCopy } from '../store/sqlite/backup.js';
import type { Store } from '../store/store.js';

const FILE_MODE = 0o600;

export const POSTGRES_BACKUP_REFUSAL =
  'idp backup copies the SQLite store, and this one is PostgreSQL (DATABASE_URL): back it up with `pg_dump --format=custom --file=gatehouse.dump "$DATABASE_URL"` (the signing keys are in it, encrypted under KEY_ENCRYPTION_KEY: keep that key too), or with `idp export` for a portable copy (docs/backups.md)';

export interface BackupRequest {
  output: string;
  /** Replace an existing output file (never the live database). */
  force: boolean;
}

/** What was checked before anything is opened: the output file and the database to copy. */
export interface BackupPlan {
  output: string;
  source: string;
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** The last migration the copy has: `idp restore` takes it into this version or any later one. */
  schemaVersion: number;
  /** When the snapshot was taken, ms. */
  at: number;
  /** Not in the copy: the signing keys and the secrets key live there, to be backed up beside it. */
  keysDir: string;
}

export interface BackupContext {
  config: Config;
  store: Store;
  clock: Clock;
  /** Who asked, for the audit log (`cli`). */
  actor: string;
}

/** The same file, whichever way it is named (a symbolic link, a relative path); a path that does not exist is taken as written. */
function sameFile(a: string, b: string): boolean {
  const real = (file: string) => (existsSync(file) ? realpathSync(file) : path.resolve(file));
  return real(a) === real(b);
}

/** A new, empty file only its owner can read, whatever the umask; fails if the name is taken. */
export function createPrivateFile(file: string): void {
  const fd = openSync(file, 'wx', FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** A name beside `file` that no one else uses, hidden, so that a half-made copy is never taken for a backup. */
export function temporaryBeside(file: string, suffix: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.${suffix}`);
}

/**
 * Checks everything that can be checked before a file is opened: the engine, the output's directory, an existing
 * output (refused without --force, and the live database always), and that there is a database to copy.
 */
export function planBackup(config: Config, request: BackupRequest): BackupPlan {
  if (config.database.engine === 'postgres') throw new ConflictError(POSTGRES_BACKUP_REFUSAL);
  const output = path.resolve(request.output);
  const directory = path.dirname(output);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new ValidationError('output', `the directory ${directory} does not exist: create it first`);
  const source = config.sqliteFile;
  if ([source, ...companionsOf(source)].some((file) => sameFile(output, file))) {
    throw new ValidationError('output', `${output} is the live database (or one of its files): back up to another file`);
  }
  if (existsSync(output)) {
    if (statSync(output).isDirectory()) throw new ValidationError('output', `${output} is a directory: name the backup file`);
    if (!request.force) throw new ValidationError('output', `${output} already exists: choose another file, or add --force to replace it`);
  }
  if (!existsSync(source)) throw new NotFoundError(`there is no database to back up at ${source} (DATA_DIR is ${config.dataDir})`);
  return { output, source };
}

/**
 * Copies the live database into `plan.output`: a snapshot taken at once (servers keep writing), checked, made one
 * self-contained file, flushed, then renamed into place. Audited `store.backup_created` in the live store.
 */
export async function backupStore(ctx: BackupContext, plan: BackupPlan): Promise<BackupResult> {
  const temporary = temporaryBeside(plan.output, 'partial');
  try {
    createPrivateFile(temporary);
  } catch (error) {
    throw new ValidationError('output', `cannot write in ${path.dirname(plan.output)}: ${(error as Error).message}`);
  }
  let at: number;
  let schemaVersion: number;
  try {
    const source = openExisting(plan.source);
    try {
      at = ctx.clock.now();
      await copyDatabase(source, temporary);
    } finally {
      source.close();
    }
    const settled = settleCopy(temporary);
    if (settled.problem !== null) {
      throw new StoreUnavailableError(
        `the copy fails SQLite's integrity check (${settled.problem}): the live database ${plan.source} may be damaged; run \`sqlite3 ${plan.source} "PRAGMA integrity_check"\` and restore an earlier backup if it agrees. ${plan.output} was not written`,
      );
    }
    schemaVersion = settled.schemaVersion;
    // On the disk before it gets its name: a crash right after the rename must not leave a backup of holes.
    flush(temporary);
    renameSync(temporary, plan.output);
    flush(path.dirname(plan.output));
  } catch (error) {
    removeWithCompanions(temporary);
    throw error;
  }
  const bytes = statSync(plan.output).size;
  await ctx.store.audit.append({
    at: ctx.clock.now(),
    type: 'store.backup_created',
    actor: ctx.actor,
    subject: null,
    ip: null,
    details: { file: plan.output, bytes, schema_version: schemaVersion, snapshot_at: new Date(at).toISOString() },
  });
  return { file: plan.output, bytes, schemaVersion, at, keysDir: ctx.config.keysDir };
}
