// What an administrator types about an upstream identity provider or directory (issue 23), checked field by field
// before anything is written: the `idp provider` tool and the admin screens (src/admin/provider*.ts) both go
// through src/manage/providers.ts, which uses these checks (and a directory's own, provider-ldap-input.ts). Each
// refusal is a ValidationError naming the field in the words of ProviderInput. The stored shape (provider-settings.ts
// checkSettings) is checked again at the end, so nothing this module lets through can make a row the readers refuse.
import { isLoopbackHostname } from '../config.js';
import { ValidationError } from '../errors.js';
import type { ClaimMapping, LdapSettings } from '../federation/provider-settings.js';
import type { ProviderGroupsMode, ProviderKind } from '../store/records.js';
import { ATTRIBUTE_NAME_PATTERN } from './attributes.js';

/** What creates a provider; an update takes the same fields (slug and kind never change). */
export interface ProviderInput {
  slug: string;
  kind: ProviderKind;
  name: string;
  /** null or '': "Continue with <name>". */
  buttonLabel?: string | null;
  iconUrl?: string | null;
  enabled?: boolean;
  jit?: boolean;
  /** [] allows every domain. */
  allowedDomains?: string[];
  trustEmail?: boolean;
  trustMfa?: boolean;
  groupsMode?: ProviderGroupsMode;
  // oidc
  issuer?: string;
  // oidc, oauth2
  clientId?: string;
  clientSecret?: string;
  scopes?: string[];
  // oauth2
  authorizationUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  // oidc, oauth2
  claims?: Partial<ClaimMapping>;
  // ldap
  url?: string;
  bindDn?: string;
  bindPassword?: string;
  userBase?: string;
  userFilter?: string;
  /** Default: true for ldap://, false for ldaps:// (true with ldaps:// is refused). */
  startTls?: boolean;
  /** PEM text of one or more CA certificates; null or '': the system's CAs. */
  ca?: string | null;
  groupBase?: string | null;
  attributes?: Partial<LdapSettings['attributes']>;
  passwordResetUrl?: string | null;
}

export type ProviderChanges = Partial<Omit<ProviderInput, 'slug' | 'kind'>>;

/** The fields each kind has beyond the common ones; any other given is refused (a typo must not pass silently). */
export const KIND_FIELDS: Record<ProviderKind, readonly (keyof ProviderInput)[]> = {
  oidc: ['issuer', 'clientId', 'clientSecret', 'scopes', 'claims'],
  oauth2: ['authorizationUrl', 'tokenUrl', 'userinfoUrl', 'clientId', 'clientSecret', 'scopes', 'claims'],
  ldap: ['url', 'bindDn', 'bindPassword', 'userBase', 'userFilter', 'startTls', 'ca', 'groupBase', 'attributes', 'passwordResetUrl'],
};
export const COMMON_FIELDS: readonly (keyof ProviderInput)[] = ['slug', 'kind', 'name', 'buttonLabel', 'iconUrl', 'enabled', 'jit', 'allowedDomains', 'trustEmail', 'trustMfa', 'groupsMode'];

/** The field that holds the kind's secret. */
export const SECRET_FIELD: Record<ProviderKind, 'clientSecret' | 'bindPassword'> = { oidc: 'clientSecret', oauth2: 'clientSecret', ldap: 'bindPassword' };

const KINDS: readonly ProviderKind[] = ['oidc', 'oauth2', 'ldap'];
const GROUPS_MODES: readonly ProviderGroupsMode[] = ['ignore', 'merge', 'replace'];
const CONTROL = /[\u0000-\u001f\u007f]/;
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
const MAX_NAME = 100;
export const MAX_URL = 2048;
export const MAX_DN = 1024;
const MAX_DOMAINS = 100;
const MAX_SECRET = 4096;
/** provider-settings.ts claimPath: dotted own-property names. */
const CLAIM_PATH = /^[A-Za-z0-9_:$-]+(\.[A-Za-z0-9_:$-]+)*$/;
const FORBIDDEN_STEPS = new Set(['__proto__', 'constructor', 'prototype']);
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;
/** One DNS label (RFC 1123 §2.1), lower case. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A refusal of the field, in the words of ProviderInput. */
export const refuse = (field: string, message: string) => new ValidationError(field, message);

export function checkKind(kind: string): ProviderKind {
  if (!(KINDS as readonly string[]).includes(kind)) throw refuse('kind', 'the kind of provider must be oidc, oauth2 or ldap');
  return kind as ProviderKind;
}

export function checkSlug(slug: string): string {
  if (!SLUG_PATTERN.test(slug)) {
    throw refuse(
      'slug',
      `${JSON.stringify(slug.slice(0, 60))} is not a valid slug: 1 to 40 lower-case letters, digits or -, not starting with - (it appears in URLs: /federation/<slug>/callback)`,
    );
  }
  // The admin screens' "New provider" page is /admin/providers/new: a provider of that slug would have no page.
  if (RESERVED_SLUGS.includes(slug)) throw refuse('slug', `"${slug}" is reserved; choose another slug`);
  return slug;
}

const RESERVED_SLUGS: readonly string[] = ['new'];

/** Trimmed text of 1..max characters without control characters. */
export function checkText(field: string, value: string, max: number, what: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw refuse(field, `${what} must not be empty`);
  if (trimmed.length > max) throw refuse(field, `${what} must be at most ${max} characters long`);
  if (CONTROL.test(trimmed)) throw refuse(field, `${what} must not contain control characters`);
  return trimmed;
}

export const checkProviderName = (name: string): string => checkText('name', name, MAX_NAME, 'the name');

/** null (or empty): the default label. */
export function checkButtonLabel(label: string | null): string | null {
  if (label === null || label.trim() === '') return null;
  return checkText('buttonLabel', label, MAX_NAME, 'the button label');
}

/**
 * An address Gatehouse calls or sends people to: https, or http on a loopback host (localhost, 127.0.0.0/8, [::1]),
 * as for clients' URIs; no credentials, no fragment; `noQuery` for an issuer (OpenID Connect Discovery §4.3 builds
 * the configuration URL by appending to it, and the `iss` comparison is exact).
 */
export function checkHttpsUrl(field: string, value: string, options: { noQuery?: boolean } = {}): string {
  const text = value.trim();
  const problem = (message: string) => refuse(field, `${field} ${JSON.stringify(text.slice(0, 200))} ${message}`);
  if (!text) throw refuse(field, `${field} must not be empty`);
  if (text.length > MAX_URL) throw refuse(field, `${field} must be at most ${MAX_URL} characters long`);
  if (/[\s\u0000-\u001f\u007f]/.test(text)) throw problem('contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem('is not an absolute URL');
  }
  if (text.includes('#')) throw problem('must not have a fragment');
  if (url.username || url.password) throw problem('must not contain credentials');
  if (options.noQuery && text.includes('?')) throw problem('must not have a query');
  if (url.protocol === 'https:') return text;
  if (url.protocol === 'http:') {
    if (isLoopbackHostname(url.hostname)) return text;
    throw problem('uses http on a host that is not loopback; use https (http is allowed only for localhost, 127.0.0.0/8 and [::1])');
  }
  throw problem('must use https');
}

export function checkOptionalUrl(field: string, value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  return checkHttpsUrl(field, value);
}

/** Lower-cased, unique, valid host names (ASCII: an internationalised domain in its xn-- form). */
export function checkAllowedDomains(domains: readonly string[]): string[] {
  if (domains.length > MAX_DOMAINS) throw refuse('allowedDomains', `at most ${MAX_DOMAINS} allowed domains`);
  const seen = new Set<string>();
  for (const given of domains) {
    const domain = given.trim().toLowerCase();
    const labels = domain.split('.');
    if (domain.length === 0 || domain.length > 253 || !labels.every((label) => LABEL.test(label))) {
      throw refuse('allowedDomains', `${JSON.stringify(given.slice(0, 100))} is not a valid domain name (such as example.com; no @, an internationalised name in its xn-- form)`);
    }
    seen.add(domain);
  }
  return [...seen];
}

export function checkGroupsMode(mode: string): ProviderGroupsMode {
  if (!(GROUPS_MODES as readonly string[]).includes(mode)) throw refuse('groupsMode', 'the groups mode must be ignore, merge or replace');
  return mode as ProviderGroupsMode;
}

export const checkClientId = (id: string): string => checkText('clientId', id, 255, 'the client id');

/** A secret as given (it may begin or end with spaces), never echoed in a message. */
export function checkSecret(field: string, secret: string): string {
  if (secret.length === 0) throw refuse(field, `${field} must not be empty`);
  if (secret.length > MAX_SECRET) throw refuse(field, `${field} must be at most ${MAX_SECRET} characters long`);
  if (/[\u0000\r\n]/.test(secret)) throw refuse(field, `${field} must not contain line breaks or NUL characters`);
  return secret;
}

/** Unique scope tokens in the order given; OpenID Connect's always include `openid` (Core §3.1.2.1), first. */
export function checkScopes(kind: ProviderKind, scopes: readonly string[]): string[] {
  const list: string[] = [];
  for (const given of scopes.flatMap((scope) => scope.trim().split(/\s+/)).filter(Boolean)) {
    if (!SCOPE_TOKEN.test(given)) throw refuse('scopes', `${JSON.stringify(given.slice(0, 100))} is not a valid scope (RFC 6749 §3.3: printable characters, no space, " or \\)`);
    if (!list.includes(given)) list.push(given);
  }
  if (kind === 'oidc' && !list.includes('openid')) list.unshift('openid');
  if (list.length > 30) throw refuse('scopes', 'at most 30 scopes');
  return list;
}

function checkClaimPath(field: string, path: string): string {
  const trimmed = path.trim();
  if (trimmed.length > 200 || !CLAIM_PATH.test(trimmed) || trimmed.split('.').some((step) => FORBIDDEN_STEPS.has(step))) {
    throw refuse(field, `${field} ${JSON.stringify(path.slice(0, 100))} is not a claim path: names of letters, digits, _ : $ - separated by dots (such as email or user.login)`);
  }
  return trimmed;
}

/** A nullable claim: null or '' means "not read". */
function checkOptionalClaim(field: string, path: string | null): string | null {
  return path === null || path.trim() === '' ? null : checkClaimPath(field, path);
}

/** The mapping with the given parts changed; attribute names are issue-21 attribute names. */
export function checkClaims(current: ClaimMapping, changes: Partial<ClaimMapping>): ClaimMapping {
  const next = { ...current };
  if (changes.subject !== undefined) next.subject = checkClaimPath('claims.subject', changes.subject);
  if (changes.email !== undefined) next.email = checkClaimPath('claims.email', changes.email);
  if (changes.emailVerified !== undefined) next.emailVerified = checkOptionalClaim('claims.emailVerified', changes.emailVerified);
  if (changes.name !== undefined) next.name = checkOptionalClaim('claims.name', changes.name);
  if (changes.groups !== undefined) next.groups = checkOptionalClaim('claims.groups', changes.groups);
  if (changes.attributes !== undefined) {
    const attributes: Record<string, string> = {};
    for (const [name, path] of Object.entries(changes.attributes)) {
      if (!ATTRIBUTE_NAME_PATTERN.test(name)) {
        throw refuse('claims.attributes', `${JSON.stringify(name.slice(0, 80))} is not an attribute name (idp attribute list: a lower-case letter, then letters, digits or _)`);
      }
      attributes[name] = checkClaimPath(`claims.attributes.${name}`, path);
    }
    next.attributes = attributes;
  }
  return next;
}

/** Refuses a given field the kind does not have (absent and undefined fields are not given). */
export function refuseForeignFields(kind: ProviderKind, input: Partial<ProviderInput>): void {
  const allowed = new Set<string>([...COMMON_FIELDS, ...KIND_FIELDS[kind]]);
  // An input from a form or a script may hold a field set to undefined: that is not giving it.
  for (const [field, value] of Object.entries(input) as [string, unknown][]) {
    if (value === undefined) continue;
    if (!allowed.has(field)) throw refuse(field, `${field} is not a setting of an ${kind} provider`);
  }
}
