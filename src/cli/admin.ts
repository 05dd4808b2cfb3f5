// `idp admin token create | list | revoke` (issue 26): personal tokens for the management API (/api/v1), sent as
// "Authorization: Bearer gat_…". The rules are src/manage/admin-tokens.ts's. A new token is printed once, by `create`;
// `list` shows each token's id, scopes and dates, never the token (only its hash is stored).
import type { Command } from 'commander';
import { createAdminToken, listAdminTokens, revokeAdminToken } from '../manage/admin-tokens.js';
import { managementApiIdentifier } from '../manage/management-api.js';
import { MANAGE_SCOPES, type AdminTokenRecord } from '../store/records.js';
import { collect, iso, parseTime, print, takesId, withContext, type OutputOptions } from './run.js';

type TokenState = 'live' | 'expired' | 'revoked';

const stateOf = (record: AdminTokenRecord, now: number): TokenState => (record.revokedAt !== null ? 'revoked' : record.expiresAt <= now ? 'expired' : 'live');

/** What a token looks like in --json output: never the token itself (only `create` adds it). */
function tokenJson(record: AdminTokenRecord, now: number) {
  return {
    id: record.id,
    /** null: the operator (actor `cli`). */
    user_id: record.userId,
    scopes: record.scopes,
    description: record.description,
    created_by: record.createdBy,
    created_at: iso(record.createdAt),
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
    last_used_at: iso(record.lastUsedAt),
    state: stateOf(record, now),
  };
}

function tokenLine(record: AdminTokenRecord, now: number): string {
  const json = tokenJson(record, now);
  const state = json.state === 'live' ? `expires ${json.expires_at}` : json.state === 'revoked' ? `revoked ${json.revoked_at}` : `expired ${json.expires_at}`;
  return [
    record.id,
    record.userId === null ? 'as cli' : `as ${record.userId}`,
    record.scopes.join(' '),
    state,
    `last used ${json.last_used_at ?? 'never'}`,
    ...(record.description === null ? [] : [JSON.stringify(record.description)]),
  ].join('\t');
}

interface CreateOptions extends OutputOptions {
  expires?: string;
  user?: string;
  scope: string[];
  description?: string;
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('the management API (/api/v1): personal admin tokens');
  const token = admin.command('token').description('personal tokens for the management API, sent as "Authorization: Bearer <token>"');

  token
    .command('create')
    .description('create a personal token and print it, once (only its hash is stored)')
    .option('--expires <iso>', 'when it stops working: ISO 8601, UTC unless an offset is given, within a year (default: 90 days)')
    .option('--user <email|id>', 'the administrator it acts as (it stops working when they are no longer an enabled admin); default: the operator, "cli"')
    .option('--scope <scope>', `a scope it carries, repeatable (${MANAGE_SCOPES.join(', ')}; default: all)`, collect, [])
    .option('--description <text>', 'what it is for (shown by list)')
    .option('--json', 'print JSON: {"token", "id", "user_id", "scopes", "expires_at", …}')
    .action((options: CreateOptions) =>
      withContext(async (ctx) => {
        const input = {
          scopes: options.scope,
          ...(options.expires === undefined ? {} : { expiresAt: parseTime(options.expires, '--expires', 'expires_at') }),
          ...(options.user === undefined ? {} : { user: options.user }),
          ...(options.description === undefined ? {} : { description: options.description }),
        };
        const { token: secret, record } = await createAdminToken(ctx, input, 'cli');
        const json = { token: secret, ...tokenJson(record, ctx.clock.now()) };
        const text = [
          `token: ${secret}`,
          `id: ${record.id}`,
          `acts as: ${record.userId ?? 'cli'}`,
          `scopes: ${record.scopes.join(' ')}`,
          `expires_at: ${json.expires_at}`,
          `(the token is shown only now: send it as "Authorization: Bearer <token>" to ${managementApiIdentifier(ctx.config)}/…)`,
        ].join('\n');
        print(options, json, text);
      }),
    );

  token
    .command('list')
    .description('list personal tokens, newest first (ids, scopes and dates, never the tokens); ended ones stay listed 30 days')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const now = ctx.clock.now();
        const tokens = await listAdminTokens(ctx);
        print(options, { tokens: tokens.map((record) => tokenJson(record, now)) }, tokens.length ? tokens.map((record) => tokenLine(record, now)).join('\n') : '(no admin tokens)');
      }),
    );

  takesId(token.command('revoke'))
    .description('revoke a personal token by its id, at once')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const record = await revokeAdminToken(ctx, id, 'cli');
        print(options, { revoked: true, id: record.id, revoked_at: iso(record.revokedAt) }, `revoked admin token ${record.id}`);
      }),
    );
}
