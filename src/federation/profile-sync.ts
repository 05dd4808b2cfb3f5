// What an upstream says about a person, copied to their Gatehouse account at each sign-in through it (issue 23,
// "Groups sync"): the name; for a directory also the email (when it changed and no other account has it); the
// groups by the provider's groups_mode; the attributes of the claim mapping under the issue-21 attribute rules.
// The upstream never creates anything here: a group or an attribute it names that Gatehouse does not have is
// ignored (noted in the log). Every change is audited as the manage layer audits it, with the actor
// `federation:<slug>`, so the log tells an administrator's change from a sign-in's.
import { ConflictError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseAttributeValue } from '../manage/attributes.js';
import { checkEmail } from '../manage/users.js';
import type { AttributeValue, IdentityProviderRecord, UserPatch, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../clock.js';
import type { UpstreamIdentity } from './federation.js';
import { settingsOf } from './provider-settings.js';

export interface ProfileSyncDependencies {
  store: Store;
  clock: Clock;
  /** Where ignored upstream values are noted; none: not noted. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** An account's name is at most this long (src/manage/users.ts checkName). */
const MAX_NAME_LENGTH = 200;
/** A person in more upstream groups than this has only the first ones looked at: a bound on one sign-in's work. */
const MAX_GROUPS = 500;

/** The audit actor of a sign-in's changes. */
export function federationActor(provider: Pick<IdentityProviderRecord, 'slug'>): string {
  return `federation:${provider.slug}`;
}

/** An upstream's name as an account name: control characters dropped, trimmed, cut to the account's limit; null when blank. */
export function accountName(name: string | null): string | null {
  if (name === null) return null;
  const cleaned = name
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, MAX_NAME_LENGTH)
    .trim();
  return cleaned || null;
}

async function audit(deps: ProfileSyncDependencies, provider: IdentityProviderRecord, type: string, subject: string, details: Record<string, unknown>): Promise<void> {
  await deps.store.audit.append({ at: deps.clock.now(), type, actor: federationActor(provider), subject, ip: null, details });
}

/** Name (and for a directory the email, verified: its entries are the organisation's) when they changed. */
async function syncAccount(deps: ProfileSyncDependencies, provider: IdentityProviderRecord, user: UserRecord, identity: UpstreamIdentity): Promise<UserRecord> {
  const patch: UserPatch = {};
  const name = accountName(identity.name);
  if (name !== null && name !== user.name) patch.name = name;
  if (provider.kind === 'ldap' && identity.email !== null && identity.email.trim() !== user.email) {
    let email: string | null = null;
    try {
      email = checkEmail(identity.email);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      deps.logger?.warn({ provider: provider.slug }, 'directory email not copied: not a valid address');
    }
    const holder = email === null ? null : await deps.store.users.findByEmail(email);
    if (email !== null && (!holder || holder.id === user.id)) {
      patch.email = email;
      patch.emailVerified = true;
    } else if (holder) {
      deps.logger?.info({ provider: provider.slug }, 'directory email not copied: another account has it');
    }
  }
  const fields = Object.keys(patch) as (keyof UserPatch)[];
  if (fields.length === 0) return user;
  let updated: UserRecord | null;
  try {
    updated = await deps.store.users.update(user.id, patch, deps.clock.now());
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // The address was taken meanwhile: the name alone, then.
    if (patch.name === undefined) return user;
    updated = await deps.store.users.update(user.id, { name: patch.name }, deps.clock.now());
    fields.splice(0, fields.length, 'name');
  }
  if (!updated) return user;
  await audit(deps, provider, 'user.updated', user.id, { fields, provider: provider.slug });
  return updated;
}

/**
 * 'merge': the person joins each existing Gatehouse group named (case-insensitively) by the upstream; 'replace':
 * they also leave every group the upstream does not name. Audited as `idp group add` / `remove` audits it.
 */
async function syncGroups(deps: ProfileSyncDependencies, provider: IdentityProviderRecord, user: UserRecord, identity: UpstreamIdentity): Promise<void> {
  if (provider.groupsMode === 'ignore') return;
  const named = new Set(
    identity.groups
      .slice(0, MAX_GROUPS)
      .map((group) => group.trim().toLowerCase())
      .filter((group) => group !== ''),
  );
  const current = await deps.store.groups.groupsOf(user.id);
  const member = new Set(current.map((group) => group.id));
  for (const name of named) {
    const group = await deps.store.groups.findByName(name);
    if (!group) {
      deps.logger?.info({ provider: provider.slug, group: name.slice(0, 80) }, 'upstream group ignored: no Gatehouse group has its name');
      continue;
    }
    if (member.has(group.id)) continue;
    if (await deps.store.groups.addMember(group.id, user.id, deps.clock.now())) {
      await audit(deps, provider, 'group.member_added', user.id, { group_id: group.id, group: group.name });
    }
  }
  if (provider.groupsMode !== 'replace') return;
  for (const group of current) {
    if (named.has(group.name.toLowerCase())) continue;
    if (await deps.store.groups.removeMember(group.id, user.id)) {
      await audit(deps, provider, 'group.member_removed', user.id, { group_id: group.id, group: group.name });
    }
  }
}

/** The attribute names the provider's claim mapping fills (none for a directory). */
function mappedAttributes(deps: ProfileSyncDependencies, provider: IdentityProviderRecord): string[] {
  if (provider.kind === 'ldap') return [];
  try {
    return Object.keys(settingsOf(provider as IdentityProviderRecord & { kind: 'oidc' | 'oauth2' }).claims.attributes);
  } catch (error) {
    deps.logger?.warn({ err: error, provider: provider.slug }, 'attribute mapping unreadable');
    return [];
  }
}

const sameValue = (a: AttributeValue | undefined, b: AttributeValue | null) => (a === undefined ? b === null : JSON.stringify(a) === JSON.stringify(b));

/**
 * The mapped attributes under the issue-21 rules: a value read as its definition's type, the same value writing
 * nothing, a mapped attribute the upstream no longer gives cleared (the upstream is their source). An attribute
 * Gatehouse does not define, or a value its type refuses, is ignored and noted. Audited without the value.
 */
async function syncAttributes(deps: ProfileSyncDependencies, provider: IdentityProviderRecord, user: UserRecord, identity: UpstreamIdentity): Promise<void> {
  const names = new Set([...mappedAttributes(deps, provider), ...Object.keys(identity.attributes)]);
  if (names.size === 0) return;
  const values = await deps.store.attributes.valuesOf(user.id);
  for (const name of names) {
    const definition = await deps.store.attributes.find(name);
    if (!definition) {
      deps.logger?.info({ provider: provider.slug, attribute: name.slice(0, 64) }, 'upstream attribute ignored: no such attribute');
      continue;
    }
    const text = Object.hasOwn(identity.attributes, name) ? identity.attributes[name] : undefined;
    let value: AttributeValue | null = null;
    if (text !== undefined && text.trim() !== '') {
      try {
        value = parseAttributeValue(definition, text);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        deps.logger?.info({ provider: provider.slug, attribute: name }, `upstream attribute ignored: ${error.message}`);
        continue;
      }
    }
    if (sameValue(values[definition.name], value)) continue;
    await deps.store.attributes.setValue(user.id, definition.name, value, deps.clock.now());
    await audit(deps, provider, 'user.attribute_set', user.id, { name: definition.name, cleared: value === null });
  }
}

/** Copies the upstream's view of the person to their account; returns the account as it now is. */
export async function syncProfile(deps: ProfileSyncDependencies, provider: IdentityProviderRecord, user: UserRecord, identity: UpstreamIdentity): Promise<UserRecord> {
  const updated = await syncAccount(deps, provider, user, identity);
  await syncGroups(deps, provider, updated, identity);
  await syncAttributes(deps, provider, updated, identity);
  return updated;
}
