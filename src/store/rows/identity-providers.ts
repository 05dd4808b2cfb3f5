// The identity_providers table's columns, its patchable fields and how a row becomes a record, shared by every
// engine (issue 23, migration 0014).
import { ConflictError } from '../../errors.js';
import type { IdentityProviderPatch, IdentityProviderRecord, NewIdentityProvider, ProviderGroupsMode, ProviderKind } from '../records.js';

export interface IdentityProviderRow {
  slug: string;
  kind: string;
  name: string;
  button_label: string | null;
  icon_url: string | null;
  /** These four are 0 or 1 on SQLite, booleans on PostgreSQL. */
  enabled: number | boolean;
  /** The kind's settings, JSON text moved as written (src/federation/provider-settings.ts reads it). */
  settings: string;
  /** Sealed by the secret box (aad `identity-provider:<slug>`). */
  secret: string | null;
  jit: number | boolean;
  /** A JSON array of lower-case domains. */
  allowed_domains: string;
  trust_email: number | boolean;
  trust_mfa: number | boolean;
  groups_mode: string;
  created_at: number;
  updated_at: number;
}

export const COLUMNS = 'slug, kind, name, button_label, icon_url, enabled, settings, secret, jit, allowed_domains, trust_email, trust_mfa, groups_mode, created_at, updated_at';

/** The patchable fields and their columns (the slug and the kind never change). */
export const PATCH_COLUMNS: Record<keyof IdentityProviderPatch, string> = {
  name: 'name',
  buttonLabel: 'button_label',
  iconUrl: 'icon_url',
  enabled: 'enabled',
  settings: 'settings',
  secret: 'secret',
  jit: 'jit',
  allowedDomains: 'allowed_domains',
  trustEmail: 'trust_email',
  trustMfa: 'trust_mfa',
  groupsMode: 'groups_mode',
};

/** A patched value in its column's form; booleans are left to the engine (0/1 on SQLite, as they are on PostgreSQL). */
export function patchValue(key: keyof IdentityProviderPatch, value: IdentityProviderPatch[keyof IdentityProviderPatch]): string | boolean | null {
  if (key === 'allowedDomains') return JSON.stringify([...(value as string[])]);
  return (value as string | boolean | null | undefined) ?? null;
}

/** Anything unexpected reads as 'ignore': a damaged row changes nobody's groups. */
function groupsMode(column: string): ProviderGroupsMode {
  return column === 'merge' || column === 'replace' ? column : 'ignore';
}

export function toRecord(row: IdentityProviderRow): IdentityProviderRecord {
  return {
    slug: row.slug,
    // The table's CHECK admits only the kinds the type names.
    kind: row.kind as ProviderKind,
    name: row.name,
    buttonLabel: row.button_label,
    iconUrl: row.icon_url,
    enabled: Boolean(row.enabled),
    settings: row.settings,
    secret: row.secret,
    jit: Boolean(row.jit),
    allowedDomains: JSON.parse(row.allowed_domains) as string[],
    trustEmail: Boolean(row.trust_email),
    trustMfa: Boolean(row.trust_mfa),
    groupsMode: groupsMode(row.groups_mode),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A new provider's record as create() returns it (its own copy of the domains). */
export function createdRecord(provider: NewIdentityProvider, now: number): IdentityProviderRecord {
  return { ...provider, allowedDomains: [...provider.allowedDomains], createdAt: now, updatedAt: now };
}

/** A new provider's values in COLUMNS order, booleans as given (the SQLite repository turns them into 0 and 1). */
export function toValues(record: IdentityProviderRecord): (string | number | boolean | null)[] {
  return [
    record.slug,
    record.kind,
    record.name,
    record.buttonLabel,
    record.iconUrl,
    record.enabled,
    record.settings,
    record.secret,
    record.jit,
    JSON.stringify(record.allowedDomains),
    record.trustEmail,
    record.trustMfa,
    record.groupsMode,
    record.createdAt,
    record.updatedAt,
  ];
}

export function slugTaken(slug: string): ConflictError {
  return new ConflictError(`an identity provider with the slug ${slug} already exists`);
}
