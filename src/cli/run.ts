// What every `idp` command shares: the server's configuration and store, one-line errors, --json output.
import { systemClock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { ConfigError, GatehouseError } from '../errors.js';
import type { ManageContext } from '../manage/users.js';
import { openStore } from '../services.js';

export interface CommandContext extends ManageContext {
  config: Config;
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
    const store = openStore(config);
    try {
      await command({ config, store, clock: systemClock, passwordMinLength: config.passwordMinLength, actor: 'cli' });
    } finally {
      await store.close();
    }
  });
}

/** Reads a secret from standard input, without its final line break. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
