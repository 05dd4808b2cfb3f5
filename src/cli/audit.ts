// `idp audit verify`: check the audit log's hash chain (exit 1 when it is broken, so a cron job or monitoring
// check can alert on it). `idp audit export`: the events as JSON lines on standard output, oldest first, with
// their hashes, to keep a copy elsewhere.
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { auditJsonLines } from '../audit/export.js';
import { keyedPart, verifyAuditChain, type ChainVerification } from '../audit/verify.js';
import { parseTime, print, withContext, type OutputOptions } from './run.js';

function verificationJson(result: ChainVerification) {
  return result.intact
    ? { intact: true, events: result.events, last_id: result.lastId, last_hash: result.lastHash, keyed_from: result.keyedFrom, keyed_events: result.keyedEvents }
    : { intact: false, events: result.events, broken_at: result.brokenAt, reason: result.reason, message: result.message };
}

function verificationText(result: ChainVerification): string {
  if (result.intact) return result.lastId === null ? 'intact (0 events)' : `intact (${result.events} events, last #${result.lastId}, ${keyedPart(result)})`;
  return result.brokenAt === null ? `broken at the end of the log: ${result.message}` : `broken at event #${result.brokenAt}: ${result.message}`;
}

/** `--since` as milliseconds (parseTime: UTC unless it names an offset). */
export function parseSince(value: string): number {
  return parseTime(value, '--since', 'since');
}

/**
 * Writes every chunk, waiting for the stream to drain when it asks to (a large export never piles up in
 * memory). A reader that stops early (`idp audit export | head`) closes the pipe: that ends the export quietly,
 * as it ends any Unix filter; other write errors are reported.
 */
async function writeAll(stream: Writable, chunks: AsyncIterable<string>): Promise<void> {
  const state: { failed: NodeJS.ErrnoException | null } = { failed: null };
  // Stays attached: a write that fails after the last one was accepted must not become an uncaught error.
  stream.on('error', (error: NodeJS.ErrnoException) => {
    state.failed ??= error;
  });
  for await (const chunk of chunks) {
    if (state.failed) break;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done);
          stream.off('error', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('error', done);
      });
    }
  }
  if (state.failed && state.failed.code !== 'EPIPE') throw state.failed;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('check and copy the tamper-evident audit log');

  audit
    .command('verify')
    .description('check the hash chain of the audit log from the first event to the last; exits 1 if it is broken')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const result = await verifyAuditChain(ctx.store, { key: ctx.config.auditChainKey });
        print(options, verificationJson(result), verificationText(result));
        if (!result.intact) process.exitCode = 1;
      }),
    );

  audit
    .command('export')
    .description('write every audit event as one JSON object per line to standard output, oldest first, with its hashes')
    .option('--since <iso>', 'only events at or after this time (ISO 8601, e.g. 2025-01-31 or 2025-01-31T12:00:00Z)')
    .option('--json-lines', 'JSON lines (the default and only format)')
    .action((options: { since?: string; jsonLines?: boolean }) =>
      withContext(async (ctx) => {
        const since = options.since === undefined ? undefined : parseSince(options.since);
        await writeAll(process.stdout, auditJsonLines(ctx.store, { filter: since === undefined ? {} : { since } }));
      }),
    );
}
