// `idp provider …` (issue 23): create, list, show, update, delete the upstream OpenID Connect / OAuth 2 providers
// and LDAP directories people may sign in with. Every change goes through src/manage/providers.ts, so the rules and
// the audit events are the admin screens'. A secret is never printed: show and list say `hasSecret`. What the tool
// has to warn about (a secret typed on the command line, plain-text LDAP) goes with its answer, on standard output
// (`warnings` in --json), so that standard error stays for refusals. The flags become ProviderInput fields in
// provider-options.ts.
import type { Command } from 'commander';
import { openSecretBox, type SecretBox } from '../auth/secret-box.js';
import { ValidationError } from '../errors.js';
import { buttonLabelOf } from '../federation/provider-settings.js';
import { routes } from '../http/routes.js';
import { createProvider, deleteProvider, findProvider, listProviders, providerView, updateProvider, type ProviderContext, type ProviderView } from '../manage/providers.js';
import type { ProviderKind } from '../store/records.js';
import { providerChanges, type ProviderOptions } from './provider-options.js';
import { iso, print, withContext, type CommandContext, type OutputOptions } from './run.js';

/** Repeatable, and undefined when never given (an update replaces a list only when the flag is there). */
const collectSome = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The flags create and update share; `update` adds the --no-… forms that clear or turn off. */
function settingOptions(command: Command, update: boolean): Command {
  const clears = (flag: string, what: string) => (update ? command.option(`--no-${flag}`, what) : command);
  command
    .option('--button-label <text>', 'the login button\'s text (default: "Continue with <name>")')
    .option('--icon-url <url>', 'an icon shown on the login button (https)')
    .option('--disabled', 'not offered at sign-in (its people cannot sign in through it)');
  clears('button-label', 'back to "Continue with <name>"');
  clears('icon-url', 'no icon');
  if (update) command.option('--enabled', 'offered at sign-in again');
  command
    .option('--jit', 'create a Gatehouse account at a first sign-in (just in time) when the email domain is allowed')
    .option('--trust-email', 'authoritative for its allowed domains: a verified upstream email links the existing account of that address')
    .option('--trust-mfa', "the upstream's own second factor (amr mfa/hwk) counts as the sign-in's second factor")
    .option('--groups <mode>', "what the upstream's groups do to the person's Gatehouse groups: ignore (default), merge or replace")
    .option('--allowed-domain <domain>', `an email domain that may sign in (repeatable${update ? '; replaces the list' : ''}; none: every domain)`, collectSome);
  if (update)
    command
      .option('--no-jit', 'no accounts made at sign-in')
      .option('--no-trust-email', 'never link on email alone')
      .option('--no-trust-mfa', 'a local second factor is required where policy says')
      .option('--no-allowed-domain', 'every domain may sign in');
  command
    .option('--issuer <url>', 'oidc: the issuer (https; its discovery document is read from it)')
    .option('--client-id <id>', 'oidc, oauth2: the client id the upstream issued')
    .option('--client-secret <secret>', 'oidc, oauth2: the client secret (visible to other local users in the process list: prefer --client-secret-file)')
    .option('--client-secret-file <file>', 'oidc, oauth2: read the client secret from this file')
    .option('--scope <scope>', `oidc, oauth2: a scope to ask for (repeatable${update ? '; replaces the list' : ''}; oidc default: openid email profile)`, collectSome)
    .option('--authorization-url <url>', 'oauth2: the authorization endpoint')
    .option('--token-url <url>', 'oauth2: the token endpoint')
    .option('--userinfo-url <url>', 'oauth2: the user-info endpoint (JSON)')
    .option('--claim-subject <path>', 'where the stable user id sits (oidc: sub, oauth2: id)')
    .option('--claim-email <path>', 'where the email sits (default: email)')
    .option('--claim-email-verified <path>', 'where email_verified sits (oidc: email_verified; oauth2: none, never verified)')
    .option('--claim-name <path>', 'where the display name sits (default: name)')
    .option('--claim-groups <path>', 'where the list of group names sits (default: none)')
    .option('--attribute <name=path>', `a Gatehouse attribute (idp attribute list) set from the upstream at each sign-in (repeatable${update ? '; replaces the list' : ''})`, collectSome);
  clears('claim-email-verified', 'the upstream never says: its email is never verified');
  clears('claim-name', 'no name read');
  clears('claim-groups', 'no groups read');
  clears('attribute', 'no attributes set from the upstream');
  command
    .option('--url <url>', 'ldap: ldap://host:port (StartTLS) or ldaps://host:port')
    .option('--bind-dn <dn>', 'ldap: the service account that searches the directory')
    .option('--bind-password <password>', 'ldap: its password (visible to other local users in the process list: prefer --bind-password-file)')
    .option('--bind-password-file <file>', "ldap: read the service account's password from this file")
    .option('--user-base <dn>', 'ldap: where people are searched')
    .option('--user-filter <filter>', 'ldap: the search filter, with {email}, such as (&(objectClass=inetOrgPerson)(mail={email}))')
    .option('--starttls', 'ldap: upgrade ldap:// with StartTLS (the default for ldap://)')
    .option('--no-starttls', 'ldap: plain-text ldap:// (passwords cross the network unencrypted)')
    .option('--ca-file <file>', "ldap: PEM CA certificate(s) the directory's certificate must chain to (stored in the settings)")
    .option('--group-base <dn>', 'ldap: where groups are searched (member/uniqueMember)')
    .option('--email-attribute <name>', 'ldap: the email attribute (default: mail)')
    .option('--name-attribute <name>', 'ldap: the display-name attribute (default: displayName)')
    .option('--member-of-attribute <name>', "ldap: an attribute listing the entry's group DNs (such as memberOf)")
    .option('--password-reset-url <url>', "ldap: the directory's own password page, shown instead of a reset link");
  clears('ca-file', "the system's CAs");
  clears('group-base', 'no group search');
  clears('name-attribute', 'no name read');
  clears('member-of-attribute', 'no memberOf read');
  clears('password-reset-url', '"ask your administrator"');
  return command.option('--json', 'print JSON');
}

function providerContext(ctx: CommandContext): ProviderContext {
  // Opened on first use, once: with SQLite it may create KEYS_DIR/secrets.key.
  let box: Promise<SecretBox> | undefined;
  return { ...ctx, secretBox: () => (box ??= openSecretBox(ctx.config)) };
}

/** The exact redirect URI to register at the upstream (oidc, oauth2). */
const callbackOf = (ctx: CommandContext, view: ProviderView) => (view.kind === 'ldap' ? null : `${ctx.config.issuer}${routes.federation}/${encodeURIComponent(view.slug)}/callback`);

function providerJson(ctx: CommandContext, view: ProviderView) {
  return { ...view, callbackUrl: callbackOf(ctx, view), createdAt: iso(view.createdAt), updatedAt: iso(view.updatedAt) };
}

const yes = (flag: boolean) => (flag ? 'yes' : 'no');

function providerText(ctx: CommandContext, view: ProviderView): string[] {
  const settings = Object.entries(view.settings as Record<string, unknown>).map(([key, value]) => {
    if (key === 'ca') return `  ca: ${typeof value === 'string' ? `${value.match(/BEGIN CERTIFICATE/g)?.length ?? 0} certificate(s)` : "(the system's CAs)"}`;
    return `  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  });
  const callback = callbackOf(ctx, view);
  return [
    `slug: ${view.slug}`,
    `kind: ${view.kind}`,
    `name: ${view.name}`,
    `button: ${buttonLabelOf(view)}`,
    `icon_url: ${view.iconUrl ?? ''}`,
    `enabled: ${yes(view.enabled)}`,
    `jit: ${yes(view.jit)}`,
    `allowed_domains: ${view.allowedDomains.length ? view.allowedDomains.join(', ') : '(every domain)'}`,
    `trust_email: ${yes(view.trustEmail)}`,
    `trust_mfa: ${yes(view.trustMfa)}`,
    `groups: ${view.groupsMode}`,
    `${view.kind === 'ldap' ? 'bind password' : 'client secret'}: ${view.hasSecret ? 'set (never shown)' : 'none'}`,
    ...(callback ? [`callback: ${callback}`] : []),
    `linked accounts: ${view.linked}`,
    'settings:',
    ...settings,
  ];
}

/** Plain-text LDAP is allowed only when asked for, and said aloud. */
function plainTextWarning(view: ProviderView, warnings: string[]): void {
  const settings = view.settings as { url?: string; startTls?: boolean };
  if (view.kind === 'ldap' && settings.startTls === false && settings.url?.startsWith('ldap:')) {
    warnings.push('StartTLS is off on ldap://: the bind password and every password typed at sign-in cross the network in plain text');
  }
}

/**
 * Settings that do less, or more, than they seem to: linking on a trusted email needs the domains the upstream is
 * authoritative for; accounts made at first sign-in with no domain allowed are open to anyone the upstream signs in
 * (any Google or GitHub account, for a public one). A directory is the organisation's own: its people are the point.
 */
function policyWarnings(view: ProviderView, warnings: string[]): void {
  if (view.allowedDomains.length > 0) return;
  if (view.trustEmail) warnings.push('--trust-email links existing accounts only for the allowed domains: with no --allowed-domain it has no effect');
  if (view.jit && view.kind !== 'ldap') warnings.push(`--jit with no --allowed-domain: anyone ${view.name} signs in gets an account here`);
}

const withWarnings = (text: string[], warnings: string[]) => [...text, ...warnings.map((warning) => `warning: ${warning}`)].join('\n');

export function registerProviderCommands(program: Command): void {
  const provider = program.command('provider').description('manage upstream identity providers (OpenID Connect, OAuth 2) and LDAP directories people sign in with');

  settingOptions(
    provider
      .command('create')
      .description('add a provider or directory; its secret is sealed and never shown again')
      .requiredOption('--slug <slug>', 'its name in URLs (/federation/<slug>/callback) and gatehouse_provider=<slug>: a-z, 0-9, -; cannot change')
      .requiredOption('--kind <kind>', 'oidc, oauth2 or ldap')
      .requiredOption('--name <name>', 'the display name people see'),
    false,
  ).action((options: ProviderOptions & { slug: string; kind: string; name: string }) =>
    withContext(async (ctx) => {
      const warnings: string[] = [];
      const changes = await providerChanges(options, warnings);
      const created = await createProvider(providerContext(ctx), { ...changes, slug: options.slug, kind: options.kind as ProviderKind, name: options.name });
      const view = providerView(created, 0);
      plainTextWarning(view, warnings);
      policyWarnings(view, warnings);
      const callback = callbackOf(ctx, view);
      const text = [`created ${view.kind} provider ${view.slug} (${view.name})`, ...(callback ? [`register this redirect URI at the upstream: ${callback}`] : [])];
      print(options, { ...providerJson(ctx, view), warnings }, withWarnings(text, warnings));
    }),
  );

  provider
    .command('list')
    .description('list providers in name order')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const views = await listProviders(ctx.store);
        const lines = views.map((view) => [view.slug, view.kind, view.name, view.enabled ? 'enabled' : 'disabled', `${view.linked} linked`].join('\t'));
        print(options, { providers: views.map((view) => providerJson(ctx, view)) }, lines.length ? lines.join('\n') : '(no providers)');
      }),
    );

  provider
    .command('show <slug>')
    .description('show a provider (its secret is never shown)')
    .option('--json', 'print JSON')
    .action((slug: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findProvider(ctx.store, slug);
        const view = providerView(found, (await ctx.store.identityProviders.linkCounts()).get(found.slug) ?? 0);
        print(options, providerJson(ctx, view), providerText(ctx, view).join('\n'));
      }),
    );

  settingOptions(
    provider.command('update <slug>').description("change a provider's settings or secret (the slug and kind never change)").option('--name <name>', 'the new display name'),
    true,
  ).action((slug: string, options: ProviderOptions) =>
    withContext(async (ctx) => {
      const warnings: string[] = [];
      const changes = await providerChanges(options, warnings);
      if (Object.keys(changes).length === 0) throw new ValidationError('provider', 'nothing to change: give the flags of the settings to change (idp provider update --help)');
      const { provider: updated, changed } = await updateProvider(providerContext(ctx), slug, changes);
      const view = providerView(updated, (await ctx.store.identityProviders.linkCounts()).get(updated.slug) ?? 0);
      if (changed.includes('startTls') || changed.includes('url')) plainTextWarning(view, warnings);
      if (['jit', 'trustEmail', 'allowedDomains'].some((field) => changed.includes(field))) policyWarnings(view, warnings);
      print(options, { ...providerJson(ctx, view), changed, warnings }, withWarnings([`provider ${updated.slug}: ${changed.length ? `changed ${changed.join(', ')}` : 'no change'}`], warnings));
    }),
  );

  provider
    .command('delete <slug>')
    .description('delete a provider and the links of every account to it (the accounts stay)')
    .option('--json', 'print JSON')
    .action((slug: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const { provider: deleted, linked } = await deleteProvider(ctx, slug);
        print(options, { deleted: true, slug: deleted.slug, name: deleted.name, linked }, `deleted provider ${deleted.slug} (${deleted.name}): ${linked} linked account(s) unlinked`);
      }),
    );
}
