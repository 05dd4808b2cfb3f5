// `idp client set-apis | set-jwks | use-secret` (issue 22), and what `idp client create` shares with them: the
// --api and --introspect-api arguments, a JWKS read from a file, and how a client is printed with its secret (once)
// or without one (a public client, or one authenticating with private_key_jwt). Every rule is src/manage's.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { parseApiArgument, setClientApis, type ClientApiSettings } from '../manage/client-apis.js';
import { MAX_JWKS_BYTES } from '../manage/client-keys.js';
import { findClient, setClientKeys, useClientSecret, type ClientWithSecret } from '../manage/clients.js';
import type { Store } from '../store/store.js';
import { oneClientJson } from './client-json.js';
import { collect, print, takesId, withContext, type OutputOptions } from './run.js';

export async function withSecretJson(store: Store, { client, clientSecret }: ClientWithSecret) {
  return { ...(await oneClientJson(store, client)), ...(clientSecret === null ? {} : { client_secret: clientSecret }) };
}

export function withSecretText({ client, clientSecret }: ClientWithSecret, verb: string): string {
  const lines = [`${verb} client ${client.name}`, `client_id: ${client.clientId}`];
  if (clientSecret !== null) lines.push(`client_secret: ${clientSecret}`, "(the secret is shown only now: store it in the application's configuration)");
  else if (client.tokenEndpointAuthMethod === 'private_key_jwt') lines.push('authenticates with private_key_jwt (its keys), no secret');
  return lines.join('\n');
}

/** The grants `--api` and `--introspect-api` give. */
export function apiSettings(request: readonly string[], introspect: readonly string[]): ClientApiSettings {
  return { request: request.map(parseApiArgument), introspect: introspect.map((text) => text.trim()) };
}

/** A JWKS file's text (checked by the manage layer); a file that cannot be read, or is too big to be one, is refused. */
export async function readJwksFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ValidationError('jwks', `cannot read the JWKS file ${JSON.stringify(file)} (${code})`);
  }
  if (bytes.length > MAX_JWKS_BYTES) throw new ValidationError('jwks', `the JWKS must be at most ${MAX_JWKS_BYTES / 1024} KiB`);
  return bytes.toString('utf8');
}

export function registerClientApiCommands(client: Command): void {
  takesId(client.command('set-apis'))
    .description('replace the APIs the application may request tokens for (--api) or introspect (--introspect-api); none given withdraws them all')
    .argument('<client_id>')
    .option('--api <uri>', 'an API it may request tokens for: "URI" (all its scopes) or "URI scope1 scope2" (those only); repeatable', collect, [])
    .option('--introspect-api <uri>', "an API whose tokens it may introspect (the API's own credentials); repeatable", collect, [])
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions & { api: string[]; introspectApi: string[] }) =>
      withContext(async (ctx) => {
        const settings = apiSettings(options.api, options.introspectApi);
        const access = await setClientApis(ctx, clientId, settings);
        const json = await oneClientJson(ctx.store, await findClient(ctx, clientId));
        const shown = access.map(
          (grant) => `${grant.role === 'introspect' ? 'introspect ' : ''}${grant.api.identifier}${grant.role === 'request' && grant.scopes !== null ? ` (${grant.scopes.join(' ')})` : ''}`,
        );
        print(options, json, `client ${clientId}: ${shown.length ? `APIs ${shown.join(', ')}` : 'no APIs'}`);
      }),
    );

  takesId(client.command('set-jwks'))
    .description('give the application its public keys (private_key_jwt): a client with a secret then authenticates with its keys only, and its secret is removed')
    .argument('<client_id>')
    .option('--jwks-uri <uri>', 'where the application publishes its JWKS (https)')
    .option('--jwks-file <file>', 'a file holding its JWKS (public keys only)')
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions & { jwksUri?: string; jwksFile?: string }) =>
      withContext(async (ctx) => {
        if ((options.jwksUri === undefined) === (options.jwksFile === undefined)) throw new ValidationError('jwks', 'give --jwks-uri or --jwks-file (one of the two)');
        const jwks = options.jwksFile === undefined ? undefined : await readJwksFile(options.jwksFile);
        const update = await setClientKeys(ctx, clientId, { jwks, jwksUri: options.jwksUri });
        const json = await oneClientJson(ctx.store, update.client);
        const text = update.changed.length === 0 ? 'no change' : `authenticates with private_key_jwt, keys ${json.jwks_uri === null ? 'registered inline' : `at ${json.jwks_uri}`}`;
        print(options, { ...json, changed: update.changed }, `client ${clientId}: ${text}`);
      }),
    );

  takesId(client.command('use-secret'))
    .description('switch an application that authenticates with its keys (private_key_jwt) to a secret: its keys are removed, and the new secret printed once')
    .argument('<client_id>')
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const switched = await useClientSecret(ctx, clientId);
        print(options, await withSecretJson(ctx.store, switched), withSecretText(switched, 'switched to a secret:'));
      }),
    );
}
