// `idp provider …` (issue 23): create, list, show, update, delete the upstream OpenID Connect / OAuth 2 providers
// and LDAP directories people may sign in with. Every change goes through src/manage/providers.ts, so the rules and
// the audit events are the admin screens'. A secret is never printed: show and list say `hasSecret`. What the tool
// has to warn about (a secret typed on the command line, plain-text LDAP) goes with its answer, on standard output
// (`warnings` in --json), so that standard error stays for refusals.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { openSecretBox, type SecretBox } from '../auth/secret-box.js';
import { ValidationError } from '../errors.js';
import { buttonLabelOf } from '../federation/provider-settings.js';
import { routes } from '../http/routes.js';
import { createProvider, deleteProvider, findProvider, listProviders, providerView, updateProvider, type ProviderContext, type ProviderView } from '../manage/providers.js';
import type { ProviderChanges } from '../manage/provider-input.js';
import type { ProviderGroupsMode, ProviderKind } from '../store/records.js';
import { iso, print, withContext, type CommandContext, type OutputOptions } from './run.js';

/** Repeatable, and undefined when never given (an update replaces a list only when the flag is there). */
const collectSome = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

interface ProviderOptions extends OutputOptions {
  name?: string;
  buttonLabel?: string | false;
  iconUrl?: string | false;
  enabled?: boolean;
  disabled?: boolean;
  jit?: boolean;
  trustEmail?: boolean;
  trustMfa?: boolean;
  groups?: string;
  allowedDomain?: string[] | false;
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  clientSecretFile?: string;
  scope?: string[];
  authorizationUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  claimSubject?: string;
  claimEmail?: string;
  claimEmailVerified?: string | false;
  claimName?: string | false;
  claimGroups?: string | false;
  attribute?: string[] | false;
  url?: string;
  bindDn?: string;
  bindPassword?: string;
  bindPasswordFile?: string;
  userBase?: string;
  userFilter?: string;
  starttls?: boolean;
  caFile?: string | false;
  groupBase?: string | false;
  emailAttribute?: string;
  nameAttribute?: string | false;
  memberOfAttribute?: string | false;
  passwordResetUrl?: string | false;
}

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

/** A value given with --foo, cleared with --no-foo (false → null), absent → undefined. */
const clearable = (value: string | false | undefined): string | null | undefined => (value === false ? null : value);

async function readText(field: string, file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ValidationError(field, `cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** One secret from its inline flag or its file (without the file's final line break), with a warning for the former. */
async function secretFrom(inline: string | undefined, file: string | undefined, flag: string, warnings: string[]): Promise<string | undefined> {
  if (inline !== undefined && file !== undefined) throw new ValidationError(flag, `give either --${flag} or --${flag}-file, not both`);
  if (file !== undefined) return (await readText(flag, file, flag.replace(/-/g, ' '))).replace(/\r?\n$/, '');
  if (inline !== undefined)
    warnings.push(
      `the ${flag.replace(/-/g, ' ')} given with --${flag} is visible to other local users in the process list while idp runs, and may stay in your shell history: prefer --${flag}-file`,
    );
  return inline;
}

function parseAttributes(values: string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new ValidationError('attribute', `--attribute ${JSON.stringify(value)} must be NAME=PATH, such as department=org.department`);
    attributes[value.slice(0, at)] = value.slice(at + 1);
  }
  return attributes;
}

/** What the flags give, as ProviderInput fields; absent flags stay absent. */
async function providerChanges(options: ProviderOptions, warnings: string[]): Promise<ProviderChanges> {
  if (options.enabled && options.disabled) throw new ValidationError('enabled', 'give either --enabled or --disabled, not both');
  const changes: ProviderChanges = {};
  const set = <K extends keyof ProviderChanges>(key: K, value: ProviderChanges[K] | undefined) => {
    if (value !== undefined) changes[key] = value;
  };
  set('name', options.name);
  set('buttonLabel', clearable(options.buttonLabel));
  set('iconUrl', clearable(options.iconUrl));
  set('enabled', options.disabled ? false : options.enabled ? true : undefined);
  set('jit', options.jit);
  set('trustEmail', options.trustEmail);
  set('trustMfa', options.trustMfa);
  // The manage layer checks the word: a script may send anything.
  set('groupsMode', options.groups as ProviderGroupsMode | undefined);
  set('allowedDomains', options.allowedDomain === false ? [] : options.allowedDomain);
  set('issuer', options.issuer);
  set('clientId', options.clientId);
  set('clientSecret', await secretFrom(options.clientSecret, options.clientSecretFile, 'client-secret', warnings));
  set('scopes', options.scope);
  set('authorizationUrl', options.authorizationUrl);
  set('tokenUrl', options.tokenUrl);
  set('userinfoUrl', options.userinfoUrl);
  const claims = {
    subject: options.claimSubject,
    email: options.claimEmail,
    emailVerified: clearable(options.claimEmailVerified),
    name: clearable(options.claimName),
    groups: clearable(options.claimGroups),
    attributes: options.attribute === false ? {} : options.attribute === undefined ? undefined : parseAttributes(options.attribute),
  };
  const givenClaims = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  if (Object.keys(givenClaims).length > 0) changes.claims = givenClaims;
  set('url', options.url);
  set('bindDn', options.bindDn);
  set('bindPassword', await secretFrom(options.bindPassword, options.bindPasswordFile, 'bind-password', warnings));
  set('userBase', options.userBase);
  set('userFilter', options.userFilter);
  set('startTls', options.starttls);
  if (options.caFile !== undefined) changes.ca = options.caFile === false ? null : await readText('ca', options.caFile, 'CA');
  set('groupBase', clearable(options.groupBase));
  const attributes = { email: options.emailAttribute, name: clearable(options.nameAttribute), memberOf: clearable(options.memberOfAttribute) };
  const givenAttributes = Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
  if (Object.keys(givenAttributes).length > 0) changes.attributes = givenAttributes;
  set('passwordResetUrl', clearable(options.passwordResetUrl));
  return changes;
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
