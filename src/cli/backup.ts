// `idp backup --output FILE` and `idp restore --input FILE`: a consistent copy of the SQLite store made while
// servers run, and that copy put back in place of an empty store (src/manage/backup.ts, src/manage/restore.ts).
// With PostgreSQL both refuse and name pg_dump / pg_restore and `idp export` / `idp import` instead.
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { backupStore, planBackup, type BackupResult } from '../manage/backup.js';
import { restoreStore, type RestoreResult } from '../manage/restore.js';
import { iso, print, runCommand, withContext, type OutputOptions } from './run.js';

interface BackupOptions extends OutputOptions {
  output: string;
  force?: boolean;
}

interface RestoreOptions extends OutputOptions {
  input: string;
}

/** Said with every backup, since the copy cannot hold what lives beside the database. */
function keysReminder(keysDir: string): string {
  return `The signing keys and the secrets key are not in it: they are files in KEYS_DIR (${keysDir}). Back that directory up beside the copy (cp -a), or a restored server makes a new key and tokens signed before stop verifying.`;
}

function backupJson(result: BackupResult) {
  return { file: result.file, bytes: result.bytes, schema_version: result.schemaVersion, at: iso(result.at), keys_dir: result.keysDir, keys_included: false };
}

function restoreJson(result: RestoreResult) {
  return {
    file: result.file,
    input: result.input,
    from_schema_version: result.fromSchemaVersion,
    schema_version: result.schemaVersion,
    at: iso(result.at),
    keys_dir: result.keysDir,
    signing_keys: result.signingKeyFiles,
    secrets_key: result.secretsKey,
    sealed_rows: result.sealedRows,
  };
}

/** What the server will lack at start if KEYS_DIR is not the one backed up with the database (warnings, stderr). */
function keyWarnings(result: RestoreResult): string[] {
  const warnings: string[] = [];
  if (result.signingKeyFiles === 0) {
    warnings.push(
      `KEYS_DIR (${result.keysDir}) holds no signing key: copy in the KEYS_DIR backed up with this database before starting the server, or it makes a new key and every token signed before (ID tokens, JWT access tokens) stops verifying`,
    );
  }
  if (result.sealedRows > 0 && !result.secretsKey) {
    warnings.push(
      `KEYS_DIR (${result.keysDir}) holds no secrets.key: the backup's authenticator app secrets, recovery codes and secrets of upstream providers and webhooks (${result.sealedRows} rows) open only with the secrets.key backed up with it`,
    );
  }
  return warnings;
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('copy the SQLite store into a new file while servers run (consistent, checked, mode 0600); KEYS_DIR is not included')
    .requiredOption('--output <file>', 'the backup file to write')
    .option('--force', 'replace the output file if it exists (never the live database)')
    .option('--json', 'print JSON')
    .action((options: BackupOptions) =>
      runCommand(async () => {
        // Refused before the store is opened: a backup that cannot be made writes nothing, not even an audit event.
        const plan = planBackup(loadConfig(), { output: options.output, force: options.force ?? false });
        await withContext(async (ctx) => {
          const result = await backupStore({ config: ctx.config, store: ctx.store, clock: ctx.clock, actor: ctx.actor }, plan);
          print(
            options,
            backupJson(result),
            `backed up the store to ${result.file} (${result.bytes} bytes, schema version ${result.schemaVersion}, as of ${iso(result.at)})\n${keysReminder(result.keysDir)}`,
          );
        });
      }),
    );

  program
    .command('restore')
    .description('put a backup made by `idp backup` in place of an empty SQLite store (no server running), migrated to this version')
    .requiredOption('--input <file>', 'the backup file to restore')
    .option('--json', 'print JSON')
    .action((options: RestoreOptions) =>
      // Not withContext: opening the store would create it, and the store must be empty and closed to be replaced.
      runCommand(async () => {
        const result = await restoreStore({ config: loadConfig(), clock: systemClock, actor: 'cli' }, { input: options.input });
        for (const warning of keyWarnings(result)) process.stderr.write(`idp: warning: ${warning}\n`);
        const migrated =
          result.fromSchemaVersion === result.schemaVersion ? `schema version ${result.schemaVersion}` : `migrated from schema version ${result.fromSchemaVersion} to ${result.schemaVersion}`;
        print(options, restoreJson(result), `restored ${result.input} into ${result.file} (${migrated})`);
      }),
    );
}
