// `idp client set-access | set-groups-claim | set-initiate-login-uri | set-logo-uri | set-access-contact` (issue
// 21): one setting of a registered application each, like `require-mfa` and `refresh-reuse-grace`, through the
// same rules as `idp client create` and the admin screens (src/manage/clients.ts setClientAccess).
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { setClientAccess } from '../manage/clients.js';
import type { AccessSettings } from '../manage/client-access.js';
import { oneClientJson, type ClientJson } from './client-json.js';
import { collect, print, takesId, withContext, type CommandContext, type OutputOptions } from './run.js';

/** Applies the settings and prints the client, with what changed ("no change" when nothing did). */
async function apply(ctx: CommandContext, clientId: string, settings: AccessSettings, options: OutputOptions, describe: (json: ClientJson) => string): Promise<void> {
  const update = await setClientAccess(ctx, clientId, settings);
  const json = await oneClientJson(ctx.store, update.client);
  print(options, { ...json, changed: update.changed }, `client ${update.client.clientId}: ${update.changed.length ? describe(json) : 'no change'}`);
}

/** `none` clears an optional URI; anything else is checked as one. */
const uriOrNone = (text: string): string | null => (text === 'none' ? null : text);

export function registerClientAccessCommands(client: Command): void {
  takesId(client.command('set-access'))
    .description('who may use the application: --everyone, or only the members of the groups given with --allowed-group')
    .argument('<client_id>')
    .option('--everyone', 'everyone may sign in (the default)')
    .option('--allowed-group <group>', 'only members of this group may sign in (repeatable; name or id; replaces the list)', collect, [])
    .option('--json', 'print JSON')
    .action((clientId: string, options: OutputOptions & { everyone?: boolean; allowedGroup: string[] }) =>
      withContext(async (ctx) => {
        const groups = options.allowedGroup;
        if (options.everyone && groups.length) throw new ValidationError('access_groups', 'give either --everyone or --allowed-group, not both');
        if (!options.everyone && groups.length === 0) throw new ValidationError('access_groups', 'give --everyone, or at least one --allowed-group');
        const settings: AccessSettings = options.everyone ? { accessPolicy: 'everyone', accessGroups: [] } : { accessPolicy: 'groups', accessGroups: groups };
        await apply(ctx, clientId, settings, options, (json) => (json.access_policy === 'everyone' ? 'everyone may sign in' : `only members of ${json.access_groups.join(', ')} may sign in`));
      }),
    );

  takesId(client.command('set-groups-claim'))
    .description("which of a person's groups the groups claim carries to the application: all, listed (its access and --claim-group groups) or prefix:P")
    .argument('<client_id>')
    .argument('<mode>', 'all, listed, or prefix:P')
    .option('--claim-group <group>', 'a group the claim may carry in mode listed, besides the access groups (repeatable; replaces the list)', collect, [])
    .option('--clear-claim-groups', 'remove every claim group')
    .option('--json', 'print JSON')
    .action((clientId: string, mode: string, options: OutputOptions & { claimGroup: string[]; clearClaimGroups?: boolean }) =>
      withContext(async (ctx) => {
        if (options.clearClaimGroups && options.claimGroup.length) throw new ValidationError('claim_groups', 'give either --claim-group or --clear-claim-groups, not both');
        const claimGroups = options.clearClaimGroups ? [] : options.claimGroup.length ? options.claimGroup : undefined;
        await apply(
          ctx,
          clientId,
          { groupsClaim: mode, claimGroups },
          options,
          (json) => `groups claim ${json.groups_claim}${json.claim_groups.length ? ` (claim groups: ${json.claim_groups.join(', ')})` : ''}`,
        );
      }),
    );

  for (const [command, field, what] of [
    ['set-initiate-login-uri', 'initiateLoginUri', 'where "Your applications" starts a sign-in at the application (OIDC Core §4), or none'],
    ['set-logo-uri', 'logoUri', 'the https URL of a logo shown on the account page, or none'],
  ] as const) {
    takesId(client.command(command))
      .description(`set ${what}`)
      .argument('<client_id>')
      .argument('<uri|none>')
      .option('--json', 'print JSON')
      .action((clientId: string, uri: string, options: OutputOptions) =>
        withContext(async (ctx) => {
          const key = field === 'logoUri' ? 'logo_uri' : 'initiate_login_uri';
          await apply(ctx, clientId, { [field]: uriOrNone(uri) }, options, (json) => `${key} ${json[key] ?? '(none)'}`);
        }),
      );
  }

  takesId(client.command('set-access-contact'))
    .description('whom a person refused by the access rule should ask (free text), or "default" for ACCESS_CONTACT')
    .argument('<client_id>')
    .argument('<text|default>')
    .option('--json', 'print JSON')
    .action((clientId: string, text: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        await apply(ctx, clientId, { accessContact: text === 'default' ? null : text }, options, (json) => `access contact ${json.access_contact ?? '(the server default)'}`);
      }),
    );
}
