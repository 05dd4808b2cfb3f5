// What every `idp` command shares: the server's configuration and store, one-line errors, --json output.
import { BreachedPasswords } from '../auth/breached-passwords.js';
import { systemClock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import type { Command } from 'commander';
import { ConfigError, GatehouseError, ValidationError } from '../errors.js';
import type { ManageContext } from '../manage/users.js';
import { ensureManagementApi } from '../manage/management-api.js';
import { timeFromText } from '../manage/time-text.js';
import { createLogger } from '../logger.js';
import { BackchannelSender } from '../delivery/backchannel-sender.js';
import { DeliveryQueue } from '../delivery/queue.js';
import { BackchannelLogout } from '../logout/backchannel.js';
import { openMailer } from '../mail/mailer.js';
import { SessionTerminator } from '../logout/session-end.js';
import { openKeyStore, openStore } from '../services.js';
import { KeyRing } from '../signing/key-ring.js';
import { keyPolicy } from '../signing/key-schedule.js';
import type { SigningKey } from '../signing/key-store.js';
import type { ListOptions } from '../store/store.js';

export interface CommandContext extends ManageContext {
  config: Config;
  /** Always there in the tool: a command that ends sessions or removes an application's access tells the clients. */
  sessionEnd: SessionTerminator;
}

export interface OutputOptions {
  json?: boolean;
}

/** Prints `data` as JSON with --json, otherwise the human-readable `text`. */
export function print(options: OutputOptions, data: unknown, text: string): void {
  process.stdout.write(options.json ? JSON.stringify(data, null, 2) + '\n' : text + '\n');
}

function report(error: unknown): void {
  if (error instanceof ConfigError) process.stderr.write(`idp: configuration error: ${error.message}\n`);
  else if (error instanceof GatehouseError) process.stderr.write(`idp: ${error.message}\n`);
  else process.stderr.write(`idp: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
}

/** Runs a command; any error is one line on stderr and exit code 1. */
export async function runCommand(command: () => Promise<void>): Promise<void> {
  try {
    await command();
  } catch (error) {
    report(error);
    process.exitCode = 1;
  }
}

/** Runs a command with the configuration and an open, migrated store. */
export function withContext(command: (ctx: CommandContext) => Promise<void>): Promise<void> {
  return runCommand(async () => {
    const config = loadConfig();
    const store = await openStore(config);
    // Issue 26: the management API's record, as a server start makes it, so that `idp client create --api` can name it.
    await ensureManagementApi(store, config, systemClock).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    // A new password set here is checked against the breach corpus, as on every form (fails closed when unusable).
    const breachedPasswords = config.breachedPasswordsFile
      ? await BreachedPasswords.open(config.breachedPasswordsFile).catch(async (error: unknown) => {
          await store.close();
          throw error;
        })
      : null;
    // The keys are opened only if a command ends a session and must sign a logout token.
    let keyRing: Promise<KeyRing> | undefined;
    const signingKey = async (): Promise<SigningKey> => (await (keyRing ??= KeyRing.open(openKeyStore(config, store), systemClock, keyPolicy(config).retirementDelayMs))).signingKey;
    // Only problems are reported, on stderr.
    const logger = createLogger('warn', process.stderr);
    // Issue 26: back-channel logouts are durable deliveries. The tool makes the first attempts itself; its queue is
    // never started, so a retry is made by a running server (any node), since the deliveries are in the store.
    const sender = new BackchannelSender({
      store,
      clock: systemClock,
      issuer: config.issuer,
      allowPrivateAddresses: config.allowPrivateClientUrls,
      registrationAllowPrivateAddresses: config.registrationAllowPrivateUrls,
      signingKey,
      logger,
    });
    const queue = new DeliveryQueue({ store, clock: systemClock, logger, config: config.delivery, senders: [sender] });
    const sessionEnd = new SessionTerminator(store, systemClock, new BackchannelLogout({ store, clock: systemClock, queue, logger }));
    // Mail (a new account's verification link) goes where the server's goes.
    const mailer = openMailer(config, logger);
    const mail = { store, clock: systemClock, config, mailer, logger };
    try {
      await command({ config, store, clock: systemClock, passwordMinLength: config.passwordMinLength, actor: 'cli', sessionEnd, mail, breachedPasswords });
    } finally {
      await breachedPasswords?.close();
      await mailer.close();
      // Back-channel first attempts finish, and are settled, before the process exits, even after a failed command.
      await sessionEnd.drain();
      await store.close();
    }
  });
}

/** Reads a secret from standard input, without its final line break. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export interface PageOptions extends OutputOptions {
  limit: string;
  after?: string;
}

/** Adds --limit, --after and --json to a listing command. */
export function pageOptions(command: Command, noun: string): Command {
  return command.option('--limit <n>', `${noun} per page (1-1000)`, '100').option('--after <cursor>', 'the cursor printed after the previous page').option('--json', 'print JSON');
}

export function pageRequest(options: PageOptions): ListOptions {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('limit', '--limit must be a whole number from 1 to 1000');
  return { after: options.after ?? null, limit };
}

/** One line per item, then how to read the next page. */
export function pageText(lines: string[], next: string | null, empty: string): string {
  if (lines.length === 0) return empty;
  return [...lines, ...(next ? [`(more: --after ${next})`] : [])].join('\n');
}

/**
 * For a command whose argument is an id: ids are random base64url, so about one in 64 begins with '-', which
 * would otherwise be refused as an unknown option. A word with one leading dash is taken as the id; a word
 * with two is still an unknown option.
 */
export function takesId(command: Command): Command {
  // Excess words are counted here, after the check for a mistyped option, which is the likelier mistake.
  return command
    .allowUnknownOption()
    .allowExcessArguments()
    .hook('preAction', (_command, action) => {
      const unknown = action.args.find((word) => word.startsWith('--'));
      if (unknown !== undefined) action.error(`error: unknown option '${unknown}'`);
      const expected = action.registeredArguments.length;
      if (action.args.length > expected)
        action.error(`error: too many arguments for '${action.name()}'. Expected ${expected} argument${expected === 1 ? '' : 's'} but got ${action.args.length}.`);
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * A time given on the command line (`--since`, `--expires`) as milliseconds: an ISO 8601 date (`2025-01-31`,
 * midnight UTC) or date and time, in UTC unless it names an offset (JavaScript would read a bare date and time as
 * local time; the admin screens show UTC). A ValidationError at `field` otherwise.
 */
export function parseTime(value: string, option: string, field: string): number {
  const ms = timeFromText(value);
  if (ms === null) throw new ValidationError(field, `${option} must be an ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z (got ${JSON.stringify(value)})`);
  return ms;
}
