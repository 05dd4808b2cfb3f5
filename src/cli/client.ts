// `idp client …`: create, list, show, delete, rotate-secret, require-mfa, refresh-reuse-grace, (issue 21) set-access,
// set-groups-claim, set-initiate-login-uri, set-logo-uri, set-access-contact, and (issue 22) set-apis, set-jwks,
// use-secret, with `create --machine | --device | --api | --introspect-api | --jwks-uri | --jwks-file`, and (issue 24)
// `create --third-party | --client-uri | --policy-uri | --tos-uri` and `update` (--third-party | --first-party and
// those pages), and (issue 28) `create --require-par | --dpop-bound` and `update --[no-]require-par --[no-]dpop-bound`
// (RFC 9126 §6 require_pushed_authorization_requests, RFC 9449 §5.2 dpop_bound_access_tokens). The context carries the server's
// configuration, so a back-channel logout URI is held to the same address rule as on the admin screens
// (ALLOW_PRIVATE_CLIENT_URLS, src/manage/client-urls.ts). The tool needs no re-authentication: whoever runs
// it already holds the server's configuration and store.
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { createClient, deleteClient, findClient, graceFromText, rotateClientSecret, setClientRefreshReuseGrace, setClientRequireMfa, setClientSettings } from '../manage/clients.js';
import { registerClientAccessCommands } from './client-access.js';
import { apiSettings, readJwksFile, registerClientApiCommands, withSecretJson, withSecretText } from './client-apis.js';
import { clientJson, clientText, clientViews, oneClientJson } from './client-json.js';
import { collect, pageOptions, pageRequest, pageText, print, withContext, type OutputOptions, type PageOptions, takesId } from './run.js';

/** `idp client update`'s options (commander's names). */
interface UpdateOptions {
  thirdParty?: boolean;
  firstParty?: boolean;
  clientUri?: string;
  policyUri?: string;
  tosUri?: string;
  requirePar?: boolean;
  dpopBound?: boolean;
}

export function registerClientCommands(program: Command): void {
  const client = program.command('client').description('manage relying applications');

  client
    .command('create')
    .description('register an application and print its client_id and, once, its client_secret (none for a public client or one with keys)')
    .requiredOption('--name <name>', 'name shown to people and administrators')
    .option('--redirect-uri <uri>', 'exact redirect URI (repeatable; none for --machine, optional with --device)', collect, [])
    .option('--post-logout-redirect-uri <uri>', 'exact post-logout redirect URI (repeatable)', collect, [])
    .option('--backchannel-logout-uri <uri>', 'where to send back-channel logout tokens')
    .option('--public', 'a public client (single-page or native app): no secret, PKCE always required')
    .option('--pkce <mode>', 'required (default) or optional (confidential clients only)', 'required')
    .option('--require-mfa', 'everyone signing in to it passes a second factor (or sets one up first)')
    .option('--refresh-reuse-grace <seconds>', 'seconds within which a retried refresh gets the same new refresh token (0-300; default: REFRESH_REUSE_GRACE)')
    .option('--allowed-group <group>', 'only members of this group may sign in (repeatable; name or id)', collect, [])
    .option('--groups-claim <mode>', "which of a person's groups the groups claim carries: all (default), listed, or prefix:P")
    .option('--claim-group <group>', 'a group the groups claim may also carry with --groups-claim listed (repeatable)', collect, [])
    .option('--initiate-login-uri <uri>', 'where "Your applications" starts a sign-in at the application (OIDC Core §4; https)')
    .option('--logo-uri <uri>', 'a logo shown beside its name on the account page (https)')
    .option('--access-contact <text>', 'whom a person refused by the access rule should ask (default: ACCESS_CONTACT)')
    .option('--machine', 'a machine client (a back end, a job): client credentials only, no redirect URIs, no person signs in')
    .option('--device', 'may use the device authorization grant (a TV, a command-line tool); redirect URIs then optional')
    .option('--api <uri>', 'an API it may request tokens for: "URI" (all its scopes) or "URI scope1 scope2" (those only); repeatable', collect, [])
    .option('--introspect-api <uri>', "an API whose tokens it may introspect (the API's own credentials); repeatable", collect, [])
    .option('--jwks-uri <uri>', 'authenticate with private_key_jwt, its public keys published at this https URI (no secret)')
    .option('--jwks-file <file>', 'authenticate with private_key_jwt, its public keys in this JWKS file (no secret)')
    .option('--third-party', "a third party's application: people are asked to consent to what it requests (default: first-party, the organisation's own)")
    .option('--client-uri <uri>', 'its home page, shown on the consent screen (https)')
    .option('--policy-uri <uri>', 'its privacy policy, linked from the consent screen (https)')
    .option('--tos-uri <uri>', 'its terms of service, linked from the consent screen (https)')
    .option('--require-par', 'its authorization requests must come through the pushed authorization request endpoint (RFC 9126)')
    .option('--dpop-bound', 'every token request must carry a DPoP proof: its access tokens are always bound to its key (RFC 9449)')
    .option('--json', 'print JSON')
    .action(
      (
        options: OutputOptions & {
          name: string;
          redirectUri: string[];
          postLogoutRedirectUri: string[];
          backchannelLogoutUri?: string;
          public?: boolean;
          pkce: string;
          requireMfa?: boolean;
          refreshReuseGrace?: string;
          allowedGroup: string[];
          groupsClaim?: string;
          claimGroup: string[];
          initiateLoginUri?: string;
          logoUri?: string;
          accessContact?: string;
          machine?: boolean;
          device?: boolean;
          api: string[];
          introspectApi: string[];
          jwksUri?: string;
          jwksFile?: string;
          thirdParty?: boolean;
          clientUri?: string;
          policyUri?: string;
          tosUri?: string;
          requirePar?: boolean;
          dpopBound?: boolean;
        },
      ) =>
        withContext(async (ctx) => {
          if (options.pkce !== 'required' && options.pkce !== 'optional') throw new ValidationError('pkce', '--pkce must be required or optional');
          if (options.jwksUri !== undefined && options.jwksFile !== undefined) throw new ValidationError('jwks', 'give --jwks-uri or --jwks-file, not both');
          const jwks = options.jwksFile === undefined ? undefined : await readJwksFile(options.jwksFile);
          const created = await createClient(ctx, {
            name: options.name,
            redirectUris: options.redirectUri,
            postLogoutRedirectUris: options.postLogoutRedirectUri,
            backchannelLogoutUri: options.backchannelLogoutUri,
            isPublic: options.public ?? false,
            pkce: options.pkce,
            requireMfa: options.requireMfa ?? false,
            refreshReuseGrace: options.refreshReuseGrace === undefined ? null : graceFromText(options.refreshReuseGrace),
            ...(options.allowedGroup.length ? { accessPolicy: 'groups' as const, accessGroups: options.allowedGroup } : {}),
            groupsClaim: options.groupsClaim,
            claimGroups: options.claimGroup,
            initiateLoginUri: options.initiateLoginUri,
            logoUri: options.logoUri,
            accessContact: options.accessContact,
            machine: options.machine ?? false,
            device: options.device ?? false,
            jwks,
            jwksUri: options.jwksUri,
            apis: apiSettings(options.api, options.introspectApi),
            thirdParty: options.thirdParty ?? false,
            clientUri: options.clientUri,
            policyUri: options.policyUri,
            tosUri: options.tosUri,
            requirePushedAuthorizationRequests: options.requirePar ?? false,
            dpopBoundAccessTokens: options.dpopBound ?? false,
          });
          print(options, await withSecretJson(ctx.store, created), withSecretText(created, 'created'));
        }),
    );

  takesId(client.command('require-mfa'))
    .description('turn the client\'s "require multi-factor" rule on or off')
    .argument('<client_id>')
    .argument('<on|off>')
    .option('--json', 'print JSON')
    .action((clientId: string, setting: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        if (setting !== 'on' && setting !== 'off') throw new ValidationError('setting', 'the setting must be on or off');
        const { client: updated } = await setClientRequireMfa(ctx, clientId, setting === 'on');
        print(options, await oneClientJson(ctx.store, updated), `client ${updated.clientId}: multi-factor ${updated.requireMfa ? 'required' : 'not required'}`);
      }),
    );

  takesId(client.command('refresh-reuse-grace'))
    .description('set the seconds within which a retried refresh gets the same new refresh token, or "default" for REFRESH_REUSE_GRACE')
    .argument('<client_id>')
    .argument('<seconds|default>')
    .option('--json', 'print JSON')
    .action((clientId: string, setting: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const { client: updated } = await setClientRefreshReuseGrace(ctx, clientId, setting === 'default' ? null : graceFromText(setting));
        const shown = updated.refreshReuseGrace === null ? 'the server setting' : `${updated.refreshReuseGrace} s`;
        print(options, await oneClientJson(ctx.store, updated), `client ${updated.clientId}: refresh reuse grace ${shown}`);
      }),
    );

  pageOptions(client.command('list').description('list applications in name order'), 'clients').action((options: PageOptions) =>
    withContext(async (ctx) => {
      const page = await ctx.store.clients.list(pageRequest(options));
      const views = await clientViews(ctx.store, page.items);
      const lines = page.items.map((c) =>
        [
          c.clientId,
          c.name,
          c.clientType,
          ...(c.grantTypes.includes('client_credentials') ? ['machine'] : []),
          ...(c.thirdParty ? ['third-party'] : []),
          ...(c.origin === 'dynamic' ? ['registered dynamically'] : []),
          ...(c.requirePushedAuthorizationRequests ? ['requires PAR'] : []),
          ...(c.dpopBoundAccessTokens ? ['DPoP-bound'] : []),
        ].join('\t'),
      );
      print(options, { clients: page.items.map((c) => clientJson(c, views)), next: page.next }, pageText(lines, page.next, '(no clients)'));
    }),
  );

  takesId(client.command('show <clientId>'))
    .description('show one application, with its keys and the APIs it may request or introspect')
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const json = await oneClientJson(ctx.store, await findClient(ctx, clientId));
        print(options, json, clientText(json));
      }),
    );

  takesId(client.command('update'))
    .description(
      'change whose application it is (--third-party, --first-party), the pages it names (each: a URI, or none to clear) and whether it must push its requests (--[no-]require-par) and bind its tokens with DPoP (--[no-]dpop-bound)',
    )
    .argument('<client_id>')
    .option('--third-party', "a third party's application: people are asked to consent to what it requests")
    .option('--first-party', "the organisation's own: no consent is asked (unless it sends prompt=consent)")
    .option('--client-uri <uri|none>', 'its home page, shown on the consent screen')
    .option('--policy-uri <uri|none>', 'its privacy policy')
    .option('--tos-uri <uri|none>', 'its terms of service')
    .option('--require-par', 'its authorization requests must come through the pushed authorization request endpoint (RFC 9126)')
    .option('--no-require-par', 'its authorization requests may also be sent to the authorization endpoint directly (unless REQUIRE_PAR)')
    .option('--dpop-bound', 'every token request must carry a DPoP proof (RFC 9449)')
    .option('--no-dpop-bound', 'a DPoP proof is optional: a token request without one gets a bearer token')
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions & UpdateOptions) =>
      withContext(async (ctx) => {
        if (options.thirdParty && options.firstParty) throw new ValidationError('third_party', 'give --third-party or --first-party, not both');
        const page = (uri: string | undefined) => (uri === 'none' ? null : uri);
        const settings = {
          ...(options.thirdParty ? { thirdParty: true } : options.firstParty ? { thirdParty: false } : {}),
          ...{ clientUri: page(options.clientUri), policyUri: page(options.policyUri), tosUri: page(options.tosUri) },
          // Commander: absent unless --require-par (true) or --no-require-par (false) was given; the same for DPoP.
          ...{ requirePushedAuthorizationRequests: options.requirePar, dpopBoundAccessTokens: options.dpopBound },
        };
        if (Object.values(settings).every((value) => value === undefined)) {
          throw new ValidationError('client', 'give at least one of --third-party, --first-party, --client-uri, --policy-uri, --tos-uri, --[no-]require-par, --[no-]dpop-bound');
        }
        const update = await setClientSettings(ctx, clientId, settings);
        const json = await oneClientJson(ctx.store, update.client);
        const what = `${json.third_party ? 'third-party' : 'first-party'} (${update.changed.join(', ')} changed)`;
        print(options, { ...json, changed: update.changed }, `client ${update.client.clientId}: ${update.changed.length ? what : 'no change'}`);
      }),
    );

  takesId(client.command('delete <clientId>'))
    .description('delete an application with its codes and tokens')
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const deleted = await deleteClient(ctx, clientId);
        print(options, { deleted: true, client_id: deleted.clientId }, `deleted client ${deleted.clientId} (${deleted.name})`);
      }),
    );

  takesId(client.command('rotate-secret <clientId>'))
    .description("replace a confidential client's secret and print the new one, once")
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const rotated = await rotateClientSecret(ctx, clientId);
        print(options, await withSecretJson(ctx.store, rotated), withSecretText(rotated, 'rotated the secret of'));
      }),
    );

  registerClientAccessCommands(client);
  registerClientApiCommands(client);
}
