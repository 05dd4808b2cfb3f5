// `idp api …` (issue 22): create, list, show, update, delete the APIs (resource servers, RFC 8707) tokens may be
// minted for. An API is named by its identifier (the URI that is its tokens' `aud`) or its id. Every change goes
// through src/manage/apis.ts, so the rules and the audit events are the admin screens'.
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { createApi, deleteApi, findApi, parseScopeArgument, tokenLifetimeFromText, updateApi, type ApiInput } from '../manage/apis.js';
import type { AccessTokenFormat, ApiAudience, ApiRecord, ApiUse } from '../store/records.js';
import { collect, iso, pageOptions, pageRequest, pageText, print, takesId, withContext, type OutputOptions, type PageOptions } from './run.js';

export function apiJson(api: ApiRecord) {
  return {
    id: api.id,
    name: api.name,
    identifier: api.identifier,
    scopes: api.scopes.map((scope) => ({ name: scope.name, description: scope.description })),
    /** Seconds; null: the server's ACCESS_TOKEN_TTL. */
    token_lifetime: api.tokenLifetime,
    token_format: api.tokenFormat,
    accepts: api.accepts,
    /** Issue 26: Gatehouse's own management API, which keeps its name, identifier, scopes and audience. */
    built_in: api.builtIn,
    created_at: iso(api.createdAt),
    updated_at: iso(api.updatedAt),
  };
}

const useJson = (use: ApiUse) => ({ client_id: use.clientId, client_name: use.name, roles: use.roles });
const useLine = (use: ApiUse) => `  ${use.clientId}\t${use.name}\t${use.roles.join(',')}`;

function apiText(api: ApiRecord): string[] {
  return [
    `id: ${api.id}`,
    `name: ${api.name}`,
    `identifier: ${api.identifier}`,
    `token_lifetime: ${api.tokenLifetime === null ? '(ACCESS_TOKEN_TTL)' : `${api.tokenLifetime} s`}`,
    `token_format: ${api.tokenFormat}`,
    `accepts: ${api.accepts}`,
    ...(api.builtIn ? ['built_in: yes (the management API: its name, identifier, scopes and audience are fixed)'] : []),
    'scopes:',
    ...api.scopes.map((scope) => `  ${scope.name}${scope.description ? `\t${scope.description}` : ''}`),
  ];
}

interface ApiOptions extends OutputOptions {
  name?: string;
  identifier?: string;
  scope: string[];
  tokenLifetime?: string;
  tokenFormat?: string;
  accepts?: string;
}

/** The settings the flags give; absent flags are absent. `--token-lifetime default` is the server's lifetime. */
function apiChanges(options: ApiOptions): Partial<ApiInput> {
  return {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.identifier === undefined ? {} : { identifier: options.identifier }),
    ...(options.scope.length === 0 ? {} : { scopes: options.scope.map(parseScopeArgument) }),
    ...(options.tokenLifetime === undefined ? {} : { tokenLifetime: options.tokenLifetime === 'default' ? null : tokenLifetimeFromText(options.tokenLifetime) }),
    // The manage layer checks the words: a script may send anything.
    ...(options.tokenFormat === undefined ? {} : { tokenFormat: options.tokenFormat as AccessTokenFormat }),
    ...(options.accepts === undefined ? {} : { accepts: options.accepts as ApiAudience }),
  };
}

/** The flags create and update share. */
function settingOptions(command: Command, update: boolean): Command {
  const again = update ? ' (replaces the whole list)' : '';
  return command
    .option('--scope <scope>', `a scope the API defines: name, or name=Description shown to people; repeatable${again}`, collect, [])
    .option('--token-lifetime <seconds>', `access-token lifetime, 60-86400 seconds${update ? ', or "default"' : ''} (default: ACCESS_TOKEN_TTL)`)
    .option('--token-format <format>', 'jwt (RFC 9068, the default) or opaque (the API introspects it)')
    .option('--accepts <who>', 'whose tokens the API takes: people, machines or both (the default)')
    .option('--json', 'print JSON');
}

export function registerApiCommands(program: Command): void {
  const api = program.command('api').description('manage APIs (resource servers): the audiences and scopes access tokens may be minted for');

  settingOptions(
    api
      .command('create')
      .description('register an API: its identifier (an https URI) becomes the aud of its tokens')
      .requiredOption('--name <name>', 'name shown to people and administrators')
      .requiredOption('--identifier <uri>', "the absolute https URI that names the API (the resource parameter, the tokens' aud)"),
    false,
  ).action((options: ApiOptions & { name: string; identifier: string }) =>
    withContext(async (ctx) => {
      if (options.scope.length === 0) throw new ValidationError('scopes', 'give at least one --scope');
      const changes = apiChanges(options);
      const created = await createApi(ctx, { ...changes, name: options.name, identifier: options.identifier, scopes: changes.scopes ?? [] });
      print(options, apiJson(created), [`created API ${created.name} (${created.id})`, `identifier: ${created.identifier}`].join('\n'));
    }),
  );

  pageOptions(api.command('list').description('list APIs in name order'), 'APIs').action((options: PageOptions) =>
    withContext(async (ctx) => {
      const page = await ctx.store.apis.list(pageRequest(options));
      const lines = page.items.map((a) => [a.id, a.identifier, a.name, a.scopes.map((scope) => scope.name).join(' ')].join('\t'));
      print(options, { apis: page.items.map(apiJson), next: page.next }, pageText(lines, page.next, '(no APIs)'));
    }),
  );

  takesId(api.command('show <api>'))
    .description('show an API (by identifier or id) and the applications that may request or introspect its tokens')
    .option('--json', 'print JSON')
    .action((idOrIdentifier: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findApi(ctx.store, idOrIdentifier);
        const uses = await ctx.store.apis.usesOf(found.id);
        const text = [...apiText(found), uses.length ? 'applications:' : 'applications: (none)', ...uses.map(useLine)];
        print(options, { ...apiJson(found), applications: uses.map(useJson) }, text.join('\n'));
      }),
    );

  settingOptions(
    takesId(api.command('update <api>'))
      .description("change an API's name, identifier, scopes, token lifetime, format or audience")
      .option('--name <name>', 'the new name')
      .option('--identifier <uri>', 'the new identifier (tokens minted for the old one keep it until they expire)'),
    true,
  ).action((idOrIdentifier: string, options: ApiOptions) =>
    withContext(async (ctx) => {
      const changes = apiChanges(options);
      if (Object.keys(changes).length === 0) throw new ValidationError('api', 'nothing to change: give --name, --identifier, --scope, --token-lifetime, --token-format or --accepts');
      const { api: updated, changed } = await updateApi(ctx, idOrIdentifier, changes);
      print(options, { ...apiJson(updated), changed }, `API ${updated.identifier}: ${changed.length ? `changed ${changed.join(', ')}` : 'no change'}`);
    }),
  );

  takesId(api.command('delete <api>'))
    .description('delete an API and every grant of it to an application (tokens already minted for it stay valid until they expire)')
    .option('--json', 'print JSON')
    .action((idOrIdentifier: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const { api: deleted, uses } = await deleteApi(ctx, idOrIdentifier);
        const text = [`deleted API ${deleted.name} (${deleted.identifier})`];
        if (uses.length) text.push('applications that named it (they may no longer request or introspect its tokens):', ...uses.map(useLine));
        print(options, { deleted: true, id: deleted.id, identifier: deleted.identifier, applications: uses.map(useJson) }, text.join('\n'));
      }),
    );
}
