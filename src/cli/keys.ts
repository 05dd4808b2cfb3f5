// `idp keys …` and `idp migrate`.
import type { Command } from 'commander';
import { audit } from '../manage/users.js';
import { loadConfig } from '../config.js';
import { migrateDatabase, openKeyStore } from '../services.js';
import { describeKey, type SigningKey } from '../signing/key-store.js';
import { iso, print, runCommand, withContext, type OutputOptions } from './run.js';

function keyJson(key: SigningKey) {
  const info = describeKey(key);
  return {
    kid: info.kid,
    alg: info.alg,
    state: info.state,
    bits: info.bits,
    created_at: iso(info.createdAt),
    activated_at: iso(info.activatedAt),
    retired_at: iso(info.retiredAt),
  };
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage the keys that sign ID tokens');

  keys.command('list')
    .description('list signing keys, newest first')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const all = await openKeyStore(ctx.config).load(ctx.clock.now());
        print(options, { keys: all.map(keyJson) }, all.map((k) => [k.kid, k.state, iso(k.createdAt)].join('\t')).join('\n'));
      }));

  keys.command('rotate')
    .description('create a new signing key; the previous one stays published so tokens it signed still verify')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const created = await openKeyStore(ctx.config).rotate(ctx.clock.now());
        await audit(ctx, 'key.rotated', created.kid, {});
        print(options, keyJson(created), `new signing key ${created.kid} is active; the previous key stays published`);
      }));

  program.command('migrate')
    .description('apply database migrations (the server also applies them at start)')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      runCommand(async () => {
        const { applied, version } = await migrateDatabase(loadConfig());
        const text = applied.length ? `applied migrations ${applied.join(', ')}; schema version ${version}` : `nothing to apply; schema version ${version}`;
        print(options, { applied, version }, text);
      }));
}
