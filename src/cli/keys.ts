// `idp keys …` and `idp migrate`.
import type { Command } from 'commander';
import { keyJson, notReadyJson } from '../manage/key-json.js';
import { keySchedule, revokeKey, rotateKey, type KeyContext } from '../manage/keys.js';
import { loadConfig } from '../config.js';
import { migrateDatabase, openKeyStore } from '../services.js';
import { keyPolicy, type KeyTimeline } from '../signing/key-schedule.js';
import type { SigningKey } from '../signing/key-store.js';
import { notReadyClients, readiness, type ClientReadiness } from '../signing/key-readiness.js';
import { iso, print, runCommand, withContext, type CommandContext, type OutputOptions, takesId } from './run.js';

function keyContext(ctx: CommandContext): KeyContext {
  return { ...ctx, keys: openKeyStore(ctx.config, ctx.store), policy: keyPolicy(ctx.config) };
}

/**
 * `activated_at` and `retired_at` (as before scheduled rotation) are set once they are past. `retirement_decided`
 * tells a stored retirement (decided by the server when the key stopped signing, or set by hand), which no change
 * of token lifetimes moves, from one expected from this configuration's lifetimes (src/signing/key-retirement.ts).
 */
/** The warning `idp keys rotate` prints on stderr (text output; --json has `not_ready`). */
function notReadyWarning(kid: string, immediate: boolean, activatesAt: string, clients: ClientReadiness[]): string {
  const consequence = immediate ? 'they refuse the tokens it signs until they do' : `they must before it signs at ${activatesAt}`;
  const lines = clients.map(
    (client) =>
      `  ${client.name} (${client.clientId}): ` + (client.lastJwksFetchAt === null ? 'no JWKS fetch seen from where it authenticates' : `last JWKS fetch ${iso(client.lastJwksFetchAt)}`),
  );
  return [
    `idp: warning: ${clients.length} application(s) have not fetched the JWKS since ${kid} was published; ${consequence}:`,
    ...lines,
    'idp: the admin Signing keys screen shows which have fetched it since (best effort: a JWKS fetched through another address or a shared cache is not seen)',
  ].join('\n');
}

function keyLine(timeline: KeyTimeline<SigningKey>, now: number): string {
  const json = keyJson(timeline, now);
  const times = [`created ${json.created_at}`, `${json.activated_at ? 'activated' : 'activates'} ${json.activates_at}`];
  if (json.revoked_at) times.push(`revoked ${json.revoked_at}`);
  else if (json.retires_at) times.push(`${json.retired_at ? 'retired' : 'retires'} ${json.retires_at}${json.retirement_decided ? '' : ' (expected)'}`);
  return [json.kid, json.state.padEnd(9), times.join('  ')].join('  ');
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage the keys that sign ID tokens');

  keys
    .command('list')
    .description('list signing keys, newest first, with their state now and their scheduled times')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const schedule = await keySchedule(keyContext(ctx));
        const now = schedule.at;
        print(options, { keys: schedule.keys.map((t) => keyJson(t, now)) }, schedule.keys.map((t) => keyLine(t, now)).join('\n'));
      }),
    );

  keys
    .command('rotate')
    .description(
      'publish a new signing key now; it signs after KEY_PREPUBLISH, and the current key stays published until its tokens expire. Names (on stderr; --json: not_ready) the applications that have not fetched the JWKS since',
    )
    .option('--now', 'sign with the new key at once (emergencies: relying parties with a cached key set reject its tokens until they fetch it again)')
    .option('--json', 'print JSON')
    .action((options: OutputOptions & { now?: boolean }) =>
      withContext(async (ctx) => {
        const { key, previous, immediate } = await rotateKey(keyContext(ctx), { immediately: options.now === true });
        const now = ctx.clock.now();
        const kid = key.key.kid;
        // Issue 26: who has not fetched the JWKS since the key was published (all tracked, a moment after): the
        // applications to watch before it signs. A manual rotation is never held (KEY_ACTIVATION_REQUIRES_READY).
        const notReady = notReadyClients(await readiness(ctx.store, { schedule: { keys: [key] } }, now, kid));
        const json = { ...keyJson(key, now), previous_kid: previous?.kid ?? null, not_ready: notReady.map(notReadyJson) };
        const text = !immediate
          ? `new signing key ${kid} is published now and signs from ${json.activates_at}` + (previous ? `; until then ${previous.kid} signs, and it stays published until its tokens expire` : '')
          : `new signing key ${kid} is active now` +
            (previous ? `; ${previous.kid} stays published until its tokens expire` : '') +
            (options.now ? `\nrelying parties with a cached copy of the JWKS reject tokens signed by ${kid} until they fetch it again (up to JWKS_MAX_AGE=${ctx.config.jwksMaxAge} s)` : '');
        print(options, json, text);
        if (!options.json && notReady.length > 0) process.stderr.write(notReadyWarning(kid, immediate, json.activates_at, notReady) + '\n');
      }),
    );

  takesId(keys.command('revoke'))
    .description('revoke a compromised key: out of the JWKS at once, and its tokens, grants and sessions revoked')
    .argument('<kid>', 'the key id, as `idp keys list` shows it')
    .option('--json', 'print JSON')
    .action((kid: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const result = await revokeKey(keyContext(ctx), kid);
        const now = ctx.clock.now();
        const replacement = result.replacement;
        const json = {
          ...keyJson(result.key, now),
          was_signing: result.wasSigning,
          replacement: replacement ? { ...keyJson(replacement.key, now), source: replacement.source } : null,
          grants_revoked: result.grants,
          refresh_tokens_revoked: result.refreshTokens,
          access_tokens_revoked: result.accessTokens,
          sessions_ended: result.sessions,
        };
        const lines = [`signing key ${kid} is revoked: it is out of the JWKS and never signs again`];
        if (replacement) {
          const which = replacement.source === 'scheduled' ? `the scheduled key ${replacement.key.key.kid}` : `a new key ${replacement.key.key.kid}`;
          lines.push(
            `it was the signing key: ${which} signs from now on. There was no other choice: relying parties with a cached ` +
              `copy of the JWKS reject its tokens until they fetch it again (up to JWKS_MAX_AGE=${ctx.config.jwksMaxAge} s)`,
          );
        }
        lines.push(`revoked ${result.grants} grant(s) (${result.refreshTokens} refresh and ${result.accessTokens} access token(s)) and ended ${result.sessions} session(s)`);
        print(options, json, lines.join('\n'));
      }),
    );

  program
    .command('migrate')
    .description('apply database migrations (the server also applies them at start)')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      runCommand(async () => {
        const { applied, version } = await migrateDatabase(loadConfig());
        const text = applied.length ? `applied migrations ${applied.join(', ')}; schema version ${version}` : `nothing to apply; schema version ${version}`;
        print(options, { applied, version }, text);
      }),
    );
}
