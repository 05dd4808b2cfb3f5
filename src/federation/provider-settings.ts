// The settings of an upstream identity provider or directory (issue 23), as the `identity_providers.settings`
// JSON column holds them: one shape per kind, checked with zod whenever a row is read, so a row edited by hand
// (or imported from a later version) is refused with a clear message instead of half-working. Secrets are never
// here: the client secret or the service account's password is sealed in its own column.
//
// Checks of the values themselves (URLs, DNs, the filter's `{email}`) are made where an administrator types them
// (src/manage/providers.ts); this module only says what a stored row must look like.
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { IdentityProviderRecord, ProviderKind } from '../store/records.js';

/**
 * Where a value sits in the upstream's user-info JSON (or ID token claims): a dotted path (`email`, `user.login`,
 * `realm_access.roles`). A path never names `__proto__`, `constructor` or `prototype` (claimAt reads own
 * properties only).
 */
const claimPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_:$-]+(\.[A-Za-z0-9_:$-]+)*$/);

/** What is read from the upstream and where (OpenID Connect claims or OAuth 2 user-info JSON). */
const claimMappingSchema = z.strictObject({
  /** The stable id: `sub` for OpenID Connect, `id` for GitHub-like user-info. */
  subject: claimPath,
  email: claimPath,
  /** Where `email_verified` sits; null: the upstream never says, so its email is never taken as verified. */
  emailVerified: claimPath.nullable(),
  name: claimPath.nullable(),
  /** An array of group names (or one name); null: no groups read. */
  groups: claimPath.nullable(),
  /** Gatehouse attribute name → path (issue 21 attributes), set at each sign-in. */
  attributes: z.record(z.string().min(1).max(64), claimPath),
});

export type ClaimMapping = z.infer<typeof claimMappingSchema>;

/** The OpenID Connect defaults: the standard claims (OIDC Core §5.1). */
export const OIDC_CLAIMS: ClaimMapping = { subject: 'sub', email: 'email', emailVerified: 'email_verified', name: 'name', groups: null, attributes: {} };
/** GitHub's `GET /user`: `id` (a number), `email` (null unless public), `name`; it has no verified flag. */
export const OAUTH2_CLAIMS: ClaimMapping = { subject: 'id', email: 'email', emailVerified: null, name: 'name', groups: null, attributes: {} };

const scopes = z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).max(30);

const oidcSettingsSchema = z.strictObject({
  /** The issuer identifier; discovery is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url(),
  clientId: z.string().min(1).max(255),
  /** Always includes `openid`. */
  scopes,
  claims: claimMappingSchema,
});

const oauth2SettingsSchema = z.strictObject({
  authorizationUrl: z.url(),
  tokenUrl: z.url(),
  userinfoUrl: z.url(),
  clientId: z.string().min(1).max(255),
  scopes,
  claims: claimMappingSchema,
});

/** Where each value sits in a directory entry. */
const ldapAttributesSchema = z.strictObject({
  email: z.string().min(1).max(100),
  name: z.string().min(1).max(100).nullable(),
  /** An attribute listing the entry's group DNs (`memberOf`); null: groups are searched under `groupBase`, or not read. */
  memberOf: z.string().min(1).max(100).nullable(),
});

const ldapSettingsSchema = z.strictObject({
  /** `ldap://host:port` (StartTLS unless `startTls` is false) or `ldaps://host:port`. */
  url: z.string().regex(/^ldaps?:\/\//),
  /** true by default: an `ldap://` connection upgrades with StartTLS before any bind, or fails. */
  startTls: z.boolean(),
  /** PEM of the CA certificate(s) the directory's certificate must chain to; null: the system's CAs. */
  ca: z.string().max(65536).nullable(),
  bindDn: z.string().min(1).max(1024),
  userBase: z.string().min(1).max(1024),
  /** An RFC 4515 filter with `{email}` where the escaped address goes. */
  userFilter: z.string().min(1).max(1024).includes('{email}'),
  /** Groups searched as `(member=<user DN>)` under this base (OpenLDAP fills memberOf late); null: not searched. */
  groupBase: z.string().min(1).max(1024).nullable(),
  attributes: ldapAttributesSchema,
  /** The directory's own password-change page, shown to its people instead of a reset link; null: "ask your administrator". */
  passwordResetUrl: z.url().nullable(),
});

export type OidcSettings = z.infer<typeof oidcSettingsSchema>;
export type OAuth2Settings = z.infer<typeof oauth2SettingsSchema>;
export type LdapSettings = z.infer<typeof ldapSettingsSchema>;

export interface SettingsOf {
  oidc: OidcSettings;
  oauth2: OAuth2Settings;
  ldap: LdapSettings;
}

const SCHEMAS: { [K in ProviderKind]: z.ZodType<SettingsOf[K]> } = {
  oidc: oidcSettingsSchema,
  oauth2: oauth2SettingsSchema,
  ldap: ldapSettingsSchema,
};

/** The defaults of an LDAP directory's attribute mapping (inetOrgPerson; `memberOf` where the overlay fills it). */
export const LDAP_ATTRIBUTES: LdapSettings['attributes'] = { email: 'mail', name: 'displayName', memberOf: null };

/** Checks settings of `kind` (from a form, the CLI or an import); ValidationError naming the first problem. */
export function checkSettings<K extends ProviderKind>(kind: K, value: unknown): SettingsOf[K] {
  const parsed = SCHEMAS[kind].safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'settings';
    throw new ValidationError(field, `The ${kind} provider setting ${field} is not valid: ${issue?.message ?? 'unreadable'}.`);
  }
  return parsed.data;
}

/** The stored row's settings, for its kind. */
export function settingsOf<K extends ProviderKind>(provider: IdentityProviderRecord & { kind: K }): SettingsOf[K] {
  let json: unknown;
  try {
    json = JSON.parse(provider.settings);
  } catch {
    throw new ValidationError('settings', `The settings of provider ${provider.slug} are not JSON.`);
  }
  return checkSettings(provider.kind, json);
}

/** Associated data sealing a provider's secret to its row (src/auth/secret-box.ts). */
export function providerSecretAad(slug: string): string {
  return `identity-provider:${slug}`;
}

/** The login button's text. */
export function buttonLabelOf(provider: Pick<IdentityProviderRecord, 'name' | 'buttonLabel'>): string {
  return provider.buttonLabel ?? `Continue with ${provider.name}`;
}

/**
 * The value at a dotted path of an upstream JSON object, own properties only (a path can never reach a prototype);
 * undefined when any step is missing.
 */
export function claimAt(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}
