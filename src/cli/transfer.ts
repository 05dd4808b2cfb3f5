// `idp export` and `idp import`: move a whole installation between stores (SQLite → PostgreSQL to grow into a
// cluster, or back). The dump goes to a file (created 0600, never over an existing one) or standard output.
import { open, unlink } from 'node:fs/promises';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { openSecretBox, type SecretBox } from '../auth/secret-box.js';
import { ConfigError, ValidationError } from '../errors.js';
import { exportData, type Progress, type TransferDeps, type TransferSummary } from '../manage/export.js';
import { importData } from '../manage/import.js';
import { openKeyStore } from '../services.js';
import { print, withContext, type CommandContext, type OutputOptions } from './run.js';

interface TransferOptions extends OutputOptions {
  /** Show the bar even when standard error is not a terminal (CI logs). */
  progress?: boolean;
}

function deps(ctx: CommandContext): TransferDeps {
  const { transferKey } = ctx.config;
  if (!transferKey) {
    throw new ConfigError(
      'TRANSFER_KEY',
      'is required by idp export and idp import: private signing keys and authenticator secrets travel encrypted under it; generate one with `openssl rand -base64 32` and give both commands the same value',
    );
  }
  // Opened on first use, once: only TOTP secrets and keyed recovery codes need it, and with SQLite it may create KEYS_DIR/secrets.key.
  let box: Promise<SecretBox> | undefined;
  const secretBox = () => (box ??= openSecretBox(ctx.config));
  return { store: ctx.store, keys: openKeyStore(ctx.config, ctx.store), transferKey, secretBox, issuer: ctx.config.issuer, clock: ctx.clock };
}

/** A bar on standard error when it is a terminal (or with --progress); silent otherwise. */
function progressBar(options: TransferOptions, verb: string): Progress {
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${verb} [{bar}] {percentage}% | {value}/{total} rows and keys | {duration_formatted}`,
      noTTYOutput: options.progress ?? false,
      notTTYSchedule: 1000,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  return { start: (total) => bar.start(total, 0), advance: (done) => bar.increment(done), stop: () => bar.stop() };
}

function lineWriter(stream: Writable): (line: string) => Promise<void> {
  return (line) =>
    new Promise((resolve, reject) => {
      if (stream.write(line + '\n')) {
        resolve();
        return;
      }
      // Respect backpressure, so a large export never sits in memory.
      const onError = (error: Error) => reject(error);
      stream.once('error', onError);
      stream.once('drain', () => {
        stream.off('error', onError);
        resolve();
      });
    });
}

function summaryText(verb: string, summary: TransferSummary): string {
  const rows = Object.entries(summary.rows)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table}: ${n}`);
  return `${verb} signing keys: ${summary.signingKeys}${rows.length ? `, ${rows.join(', ')}` : ', no rows'}`;
}

async function exportTo(ctx: CommandContext, options: TransferOptions & { output?: string }): Promise<TransferSummary> {
  const transfer = deps(ctx);
  if (!options.output) return exportData(transfer, lineWriter(process.stdout), progressBar(options, 'exporting'));
  let handle;
  try {
    // 0600: the file holds password hashes; `wx` never replaces an earlier export.
    handle = await open(options.output, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ValidationError('output', code === 'EEXIST' ? `${options.output} already exists: choose another file` : `cannot create ${options.output}: ${(error as Error).message}`);
  }
  const stream = handle.createWriteStream();
  try {
    const summary = await exportData(transfer, lineWriter(stream), progressBar(options, 'exporting'));
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    return summary;
  } catch (error) {
    // A partial export must not be mistaken for a whole one (the import would refuse it, but say so now).
    stream.destroy();
    await unlink(options.output).catch(() => undefined);
    throw error;
  }
}

async function openInput(file: string): Promise<Readable> {
  try {
    return (await open(file, 'r')).createReadStream();
  } catch (error) {
    throw new ValidationError('input', `cannot read ${file}: ${(error as Error).message}`);
  }
}

export function registerTransferCommands(program: Command): void {
  program
    .command('export')
    .description('write every user, client, session, token, audit event and signing key as JSON lines (needs TRANSFER_KEY)')
    .option('--output <file>', 'write to this new file (mode 0600) instead of standard output')
    .option('--progress', 'show the progress bar even when standard error is not a terminal')
    .option('--json', 'print the summary as JSON (needs --output: standard output would hold the export)')
    .action((options: TransferOptions & { output?: string }) =>
      withContext(async (ctx) => {
        if (options.json && !options.output) throw new ValidationError('json', '--json needs --output: without it the export itself goes to standard output');
        const summary = await exportTo(ctx, options);
        const json = { signing_keys: summary.signingKeys, rows: summary.rows };
        if (options.output) print(options, json, `${summaryText('exported', summary)} to ${options.output}`);
        else process.stderr.write(summaryText('exported', summary) + '\n');
      }),
    );

  program
    .command('import')
    .description('read an export into this (empty) store and key store, all or nothing (needs the TRANSFER_KEY of the export)')
    .option('--input <file>', 'read this file instead of standard input')
    .option('--progress', 'show the progress bar even when standard error is not a terminal')
    .option('--json', 'print JSON')
    .action((options: TransferOptions & { input?: string }) =>
      withContext(async (ctx) => {
        const transfer = deps(ctx);
        const input = options.input ? await openInput(options.input) : process.stdin;
        const lines = readline.createInterface({ input, crlfDelay: Infinity });
        try {
          const result = await importData(transfer, lines[Symbol.asyncIterator](), progressBar(options, 'importing'));
          if (result.otherIssuer) {
            process.stderr.write(`idp: warning: the export comes from the issuer ${result.otherIssuer}, this one is ${ctx.config.issuer}: relying parties must be told of the new issuer\n`);
          }
          print(options, { signing_keys: result.signingKeys, rows: result.rows }, summaryText('imported', result));
        } finally {
          lines.close();
          input.destroy();
        }
      }),
    );
}
