// Upstream identity providers and directories (issue 23): the rules shared by the `idp provider` tool and the admin
// screens (src/admin/provider*.ts), with the linked identities of an account re-exported from provider-identities.ts
// (the account page, the admin user page, `idp user unlink`). Every field is checked (provider-input.ts) before anything is written; the client secret or
// the service account's password is sealed at once (aad `identity-provider:<slug>`) and never shown again: views
// say `hasSecret`. Every change is audited, naming the fields changed, never a secret's value.
import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../auth/secret-box.js';
import { ConflictError, KeyStoreError, NotFoundError, ValidationError } from '../errors.js';
import {
  checkSettings,
  LDAP_ATTRIBUTES,
  OAUTH2_CLAIMS,
  OIDC_CLAIMS,
  providerSecretAad,
  settingsOf,
  type LdapSettings,
  type OAuth2Settings,
  type OidcSettings,
  type SettingsOf,
} from '../federation/provider-settings.js';
import type { IdentityProviderPatch, IdentityProviderRecord, ProviderKind } from '../store/records.js';
import type { Store } from '../store/store.js';
import {
  checkAllowedDomains,
  checkButtonLabel,
  checkClaims,
  checkClientId,
  checkGroupsMode,
  checkHttpsUrl,
  checkKind,
  checkOptionalUrl,
  checkProviderName,
  checkScopes,
  checkSecret,
  checkSlug,
  refuseForeignFields,
  SECRET_FIELD,
  type ProviderChanges,
  type ProviderInput,
} from './provider-input.js';
import { checkCa, checkDn, checkLdapAttributes, checkLdapUrl, checkStartTls, checkUserFilter } from './provider-ldap-input.js';
import { audit, type ManageContext } from './users.js';

export type { ProviderChanges, ProviderInput } from './provider-input.js';
export { LAST_WAY_TO_SIGN_IN, signInMethods, unlinkIdentity, type SignInMethods } from './provider-identities.js';

/** The management context with the box that seals the providers' secrets. */
export interface ProviderContext extends ManageContext {
  secretBox: () => Promise<SecretBox>;
}

/** What the tool, the admin screens and `--json` show of a provider: the stored row's fields, never its secret. */
export interface ProviderView extends Omit<IdentityProviderRecord, 'settings' | 'secret'> {
  /** The kind's settings as stored (no secret is among them). */
  settings: OidcSettings | OAuth2Settings | LdapSettings;
  hasSecret: boolean;
  /** How many accounts are linked to it. */
  linked: number;
}

export function providerView(record: IdentityProviderRecord, linked: number): ProviderView {
  return {
    slug: record.slug,
    kind: record.kind,
    name: record.name,
    buttonLabel: record.buttonLabel,
    iconUrl: record.iconUrl,
    enabled: record.enabled,
    jit: record.jit,
    allowedDomains: [...record.allowedDomains],
    trustEmail: record.trustEmail,
    trustMfa: record.trustMfa,
    groupsMode: record.groupsMode,
    settings: settingsOf(record),
    hasSecret: record.secret !== null,
    linked,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

const notFound = (slug: string) => new NotFoundError(`no identity provider ${JSON.stringify(slug)}`);

export async function findProvider(store: Store, slug: string): Promise<IdentityProviderRecord> {
  const provider = await store.identityProviders.findBySlug(slug.trim());
  if (!provider) throw notFound(slug);
  return provider;
}

/** Every provider in name order, with how many accounts each has linked. */
export async function listProviders(store: Store): Promise<ProviderView[]> {
  const [providers, counts] = await Promise.all([store.identityProviders.list(), store.identityProviders.linkCounts()]);
  return providers.map((provider) => providerView(provider, counts.get(provider.slug) ?? 0));
}

/** The settings of a new provider of `kind`: the defaults, before any field is applied. */
function defaultSettings(kind: ProviderKind): Record<string, unknown> {
  if (kind === 'oidc') return { issuer: '', clientId: '', scopes: ['openid', 'email', 'profile'], claims: OIDC_CLAIMS };
  if (kind === 'oauth2') return { authorizationUrl: '', tokenUrl: '', userinfoUrl: '', clientId: '', scopes: [], claims: OAUTH2_CLAIMS };
  return { url: '', startTls: true, ca: null, bindDn: '', userBase: '', userFilter: '', groupBase: null, attributes: LDAP_ATTRIBUTES, passwordResetUrl: null };
}

/**
 * The settings with `changes` applied, each field checked; the result checked as a stored row must be. `creating`:
 * the kind's required fields must be given.
 */
function applySettings<K extends ProviderKind>(kind: K, current: Record<string, unknown>, changes: ProviderChanges, creating: boolean): SettingsOf[K] {
  const next: Record<string, unknown> = { ...current };
  const required = (field: keyof ProviderChanges, what: string) => {
    if (creating && changes[field] === undefined) throw new ValidationError(field, `an ${kind} provider needs ${what}`);
  };
  if (kind === 'oidc') {
    required('issuer', 'an issuer (its https address)');
    if (changes.issuer !== undefined) next.issuer = checkHttpsUrl('issuer', changes.issuer, { noQuery: true });
  }
  if (kind === 'oauth2') {
    for (const [field, what] of [
      ['authorizationUrl', 'an authorization URL'],
      ['tokenUrl', 'a token URL'],
      ['userinfoUrl', 'a user-info URL'],
    ] as const) {
      required(field, what);
      const value = changes[field];
      if (value !== undefined) next[field] = checkHttpsUrl(field, value);
    }
  }
  if (kind === 'oidc' || kind === 'oauth2') {
    required('clientId', 'a client id');
    if (changes.clientId !== undefined) next.clientId = checkClientId(changes.clientId);
    if (changes.scopes !== undefined) next.scopes = checkScopes(kind, changes.scopes);
    if (changes.claims !== undefined) next.claims = checkClaims(next.claims as OidcSettings['claims'], changes.claims);
  }
  if (kind === 'ldap') {
    required('url', 'a URL (ldap://host:port or ldaps://host:port)');
    required('bindDn', 'a bind DN (the service account that searches the directory)');
    required('userBase', 'a user base DN');
    required('userFilter', 'a user filter with {email}');
    if (changes.url !== undefined) {
      const url = checkLdapUrl(changes.url);
      // A new scheme brings its own default unless StartTLS is said explicitly.
      if (changes.startTls === undefined && url.split(':')[0] !== String(next.url).split(':')[0]) next.startTls = checkStartTls(url, undefined);
      next.url = url;
    }
    if (changes.startTls !== undefined) next.startTls = checkStartTls(String(next.url), changes.startTls);
    else checkStartTls(String(next.url), next.startTls as boolean);
    if (changes.ca !== undefined) next.ca = checkCa(changes.ca);
    if (changes.bindDn !== undefined) next.bindDn = checkDn('bindDn', changes.bindDn);
    if (changes.userBase !== undefined) next.userBase = checkDn('userBase', changes.userBase);
    if (changes.userFilter !== undefined) next.userFilter = checkUserFilter(changes.userFilter);
    if (changes.groupBase !== undefined) next.groupBase = changes.groupBase === null || changes.groupBase.trim() === '' ? null : checkDn('groupBase', changes.groupBase);
    if (changes.attributes !== undefined) next.attributes = checkLdapAttributes(next.attributes as LdapSettings['attributes'], changes.attributes);
    if (changes.passwordResetUrl !== undefined) next.passwordResetUrl = checkOptionalUrl('passwordResetUrl', changes.passwordResetUrl);
  }
  return checkSettings(kind, next);
}

/** The common columns the changes set, checked; absent fields are absent. */
function commonPatch(changes: ProviderChanges): IdentityProviderPatch {
  const patch: IdentityProviderPatch = {};
  if (changes.name !== undefined) patch.name = checkProviderName(changes.name);
  if (changes.buttonLabel !== undefined) patch.buttonLabel = checkButtonLabel(changes.buttonLabel);
  if (changes.iconUrl !== undefined) patch.iconUrl = checkOptionalUrl('iconUrl', changes.iconUrl);
  for (const flag of ['enabled', 'jit', 'trustEmail', 'trustMfa'] as const) {
    const value = changes[flag];
    if (value !== undefined) patch[flag] = value;
  }
  if (changes.allowedDomains !== undefined) patch.allowedDomains = checkAllowedDomains(changes.allowedDomains);
  if (changes.groupsMode !== undefined) patch.groupsMode = checkGroupsMode(changes.groupsMode);
  return patch;
}

const secretOf = (kind: ProviderKind, changes: ProviderChanges): string | undefined => {
  const field = SECRET_FIELD[kind];
  const value = changes[field];
  return value === undefined ? undefined : checkSecret(field, value);
};

export async function createProvider(ctx: ProviderContext, input: ProviderInput): Promise<IdentityProviderRecord> {
  const slug = checkSlug(input.slug);
  const kind = checkKind(input.kind);
  refuseForeignFields(kind, input);
  const { slug: _slug, kind: _kind, ...changes } = input;
  const common = commonPatch(changes);
  const settings = applySettings(kind, defaultSettings(kind), changes, true);
  const secret = secretOf(kind, changes);
  const field = SECRET_FIELD[kind];
  if (secret === undefined)
    throw new ValidationError(field, kind === 'ldap' ? 'an ldap directory needs the bind password of its service account' : `an ${kind} provider needs the client secret the upstream issued`);
  // A friendly answer for the common case; the primary key still decides a race (ConflictError too).
  if (await ctx.store.identityProviders.findBySlug(slug)) throw new ConflictError(`an identity provider with the slug ${slug} already exists`);
  const sealed = (await ctx.secretBox()).seal(secret, providerSecretAad(slug));
  const provider = await ctx.store.identityProviders.create(
    {
      slug,
      kind,
      name: common.name ?? checkProviderName(input.name),
      buttonLabel: common.buttonLabel ?? null,
      iconUrl: common.iconUrl ?? null,
      enabled: common.enabled ?? true,
      settings: JSON.stringify(settings),
      secret: sealed,
      jit: common.jit ?? false,
      allowedDomains: common.allowedDomains ?? [],
      trustEmail: common.trustEmail ?? false,
      trustMfa: common.trustMfa ?? false,
      groupsMode: common.groupsMode ?? 'ignore',
    },
    ctx.clock.now(),
  );
  await audit(ctx, 'provider.created', slug, { provider: slug, kind, name: provider.name });
  return provider;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether the stored secret is `secret`; one that does not open (another key) counts as different. */
function holdsSecret(box: SecretBox, provider: IdentityProviderRecord, secret: string): boolean {
  if (provider.secret === null) return false;
  let stored: string;
  try {
    stored = box.open(provider.secret, providerSecretAad(provider.slug));
  } catch (error) {
    if (error instanceof KeyStoreError) return false;
    throw error;
  }
  const a = Buffer.from(stored);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Changes what is given (absent fields stay; null clears an optional one; lists replace the whole list; `claims` and
 * `attributes` change the parts given). Only a real change is written and audited (`provider.updated` naming the
 * fields; a new secret is named `clientSecret` or `bindPassword`, its value never). The slug and kind never change.
 */
export async function updateProvider(
  ctx: ProviderContext,
  slug: string,
  changes: ProviderChanges & { slug?: string; kind?: string },
): Promise<{ provider: IdentityProviderRecord; changed: string[] }> {
  const provider = await findProvider(ctx.store, slug);
  const { slug: newSlug, kind: newKind, ...rest } = changes;
  if (newSlug !== undefined && newSlug !== provider.slug) throw new ValidationError('slug', 'the slug of a provider cannot change (it is in its callback URL): create another provider instead');
  if (newKind !== undefined && newKind !== provider.kind) throw new ValidationError('kind', 'the kind of a provider cannot change: create another provider instead');
  refuseForeignFields(provider.kind, rest);
  const common = commonPatch(rest);
  const current = settingsOf(provider);
  const settings = applySettings(provider.kind, current as Record<string, unknown>, rest, false);
  const secret = secretOf(provider.kind, rest);

  const patch: IdentityProviderPatch = {};
  const changed: string[] = [];
  for (const [field, value] of Object.entries(common) as [keyof IdentityProviderPatch, unknown][]) {
    if (!same(value, provider[field])) {
      (patch as Record<string, unknown>)[field] = value;
      changed.push(field);
    }
  }
  const settingsChanged = Object.keys(settings).filter((key) => !same((settings as Record<string, unknown>)[key], (current as Record<string, unknown>)[key]));
  if (settingsChanged.length > 0) {
    patch.settings = JSON.stringify(settings);
    changed.push(...settingsChanged);
  }
  if (secret !== undefined) {
    const box = await ctx.secretBox();
    if (!holdsSecret(box, provider, secret)) {
      patch.secret = box.seal(secret, providerSecretAad(provider.slug));
      changed.push(SECRET_FIELD[provider.kind]);
    }
  }
  if (changed.length === 0) return { provider, changed };
  const updated = await ctx.store.identityProviders.update(provider.slug, patch, ctx.clock.now());
  if (!updated) throw notFound(slug);
  await audit(ctx, 'provider.updated', provider.slug, { provider: provider.slug, changed });
  return { provider: updated, changed };
}

/**
 * Deletes a provider with its linked identities and sign-ins in progress (ON DELETE CASCADE); returns how many
 * accounts were linked, read just before. The accounts stay: one made at a first sign-in (no password) can then
 * sign in only once an administrator or a reset link gives it a password. Sessions already started stay too.
 */
export async function deleteProvider(ctx: ManageContext, slug: string): Promise<{ provider: IdentityProviderRecord; linked: number }> {
  const provider = await findProvider(ctx.store, slug);
  const linked = (await ctx.store.identityProviders.linkCounts()).get(provider.slug) ?? 0;
  if (!(await ctx.store.identityProviders.delete(provider.slug))) throw notFound(slug);
  await audit(ctx, 'provider.deleted', provider.slug, { provider: provider.slug, linked });
  return { provider, linked };
}
