// `idp registration token create | list | revoke` (issue 24): the initial access tokens a developer presents to
// POST /register while DYNAMIC_REGISTRATION=token (RFC 7591 §3). The rules are src/manage/registration-tokens.ts's,
// shared with the admin Registration screen. A new token is printed once, by `create`; `list` shows each token's id
// and counters, never the token (only its hash is stored). The tokens are accepted only in mode `token`: in another
// mode `create` and `list` say so on stderr (a warning: an administrator may prepare tokens before switching).
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import { createRegistrationToken, listRegistrationTokens, revokeRegistrationToken } from '../manage/registration-tokens.js';
import type { RegistrationTokenRecord } from '../store/records.js';
import { iso, parseTime, print, takesId, withContext, type OutputOptions } from './run.js';

/** What a token looks like in --json output: never the token itself (only `create` adds it). */
function tokenJson(record: RegistrationTokenRecord, now: number) {
  return {
    id: record.id,
    /** null: no limit. */
    uses_left: record.usesLeft,
    used: record.used,
    created_by: record.createdBy,
    created_at: iso(record.createdAt),
    /** null: never. */
    expires_at: iso(record.expiresAt),
    usable: (record.expiresAt === null || record.expiresAt > now) && (record.usesLeft === null || record.usesLeft > 0),
  };
}

function tokenLine(record: RegistrationTokenRecord, now: number): string {
  const json = tokenJson(record, now);
  const uses = record.usesLeft === null ? 'unlimited uses' : `${record.usesLeft} use${record.usesLeft === 1 ? '' : 's'} left`;
  const expiry = json.expires_at === null ? 'never expires' : `${record.expiresAt !== null && record.expiresAt <= now ? 'expired' : 'expires'} ${json.expires_at}`;
  return [record.id, uses, `used ${record.used}`, expiry, `by ${record.createdBy}`, ...(json.usable ? [] : ['(not usable)'])].join('\t');
}

/** On stderr, so that `--json` output stays one JSON document; after the command did its work (a refusal says only why). */
function warnAboutMode(config: Pick<Config, 'dynamicRegistration'>): void {
  if (config.dynamicRegistration === 'token') return;
  const now = config.dynamicRegistration === 'closed' ? 'POST /register refuses every registration' : 'POST /register needs no token';
  process.stderr.write(`idp: warning: DYNAMIC_REGISTRATION is ${config.dynamicRegistration}: ${now}; initial access tokens are needed and used only with DYNAMIC_REGISTRATION=token\n`);
}

/** --uses as typed: digits only (the rules check the range). */
function usesFromText(text: string): number {
  if (!/^\d{1,6}$/.test(text.trim())) throw new ValidationError('uses', '--uses must be a whole number from 1 to 10000 (leave it out for no limit)');
  return Number(text.trim());
}

export function registerRegistrationCommands(program: Command): void {
  const registration = program.command('registration').description('dynamic client registration (RFC 7591): initial access tokens');
  const token = registration.command('token').description('initial access tokens for POST /register (DYNAMIC_REGISTRATION=token)');

  token
    .command('create')
    .description('create an initial access token and print it, once (only its hash is stored)')
    .option('--uses <n>', 'registrations it may make (1-10000; default: no limit until it expires or is revoked)')
    .option('--expires <iso>', 'when it stops working: ISO 8601, UTC unless an offset is given, within a year (default: never)')
    .option('--json', 'print JSON: {"token", "id", "uses_left", "expires_at"}')
    .action((options: OutputOptions & { uses?: string; expires?: string }) =>
      withContext(async (ctx) => {
        const input = {
          ...(options.uses === undefined ? {} : { uses: usesFromText(options.uses) }),
          ...(options.expires === undefined ? {} : { expiresAt: parseTime(options.expires, '--expires', 'expires_at') }),
        };
        const { token: secret, record } = await createRegistrationToken(ctx, input, 'cli');
        warnAboutMode(ctx.config);
        const json = { token: secret, id: record.id, uses_left: record.usesLeft, expires_at: iso(record.expiresAt) };
        const text = [
          `token: ${secret}`,
          `id: ${record.id}`,
          `uses_left: ${record.usesLeft ?? 'unlimited'}`,
          `expires_at: ${json.expires_at ?? 'never'}`,
          '(the token is shown only now: give it to the developer, who sends it as "Authorization: Bearer <token>" to POST /register)',
        ].join('\n');
        print(options, json, text);
      }),
    );

  token
    .command('list')
    .description('list initial access tokens, newest first (their ids and counters, never the tokens)')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const now = ctx.clock.now();
        const tokens = await listRegistrationTokens(ctx);
        warnAboutMode(ctx.config);
        print(options, { tokens: tokens.map((record) => tokenJson(record, now)) }, tokens.length ? tokens.map((record) => tokenLine(record, now)).join('\n') : '(no initial access tokens)');
      }),
    );

  takesId(token.command('revoke'))
    .description('revoke (delete) an initial access token by its id; clients it registered stay')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        await revokeRegistrationToken(ctx, id, 'cli');
        print(options, { revoked: true, id }, `revoked initial access token ${id}`);
      }),
    );
}
