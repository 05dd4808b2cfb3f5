// The provider form (issue 23), on the "New provider" page and a provider's page: what a person typed, kept as typed
// so that a refused form comes back exactly as it was sent, and turned into the input of the shared rules
// (src/manage/providers.ts, the rules `idp provider` uses) only when it is posted. The fields shown depend on the
// provider's kind (chosen before the form, fixed afterwards). The secret (an OAuth client secret, a directory's bind
// password) is never part of the form as shown: it is read from the body on its own, and a page never carries it.
// The rules' refusals find their way back to the form's fields through provider-refusal.ts.
import { ValidationError } from '../errors.js';
import type { ProviderInput, ProviderView } from '../manage/providers.js';
import type { ProviderKind } from '../store/records.js';
import { bodyOf, lines, sent, shown, type FormBody } from './client-form-text.js';
import type { FieldErrors } from './user-forms.js';

export const PROVIDER_KINDS: readonly ProviderKind[] = ['oidc', 'oauth2', 'ldap'];

export const KIND_LABELS: Readonly<Record<ProviderKind, string>> = {
  oidc: 'OpenID Connect',
  oauth2: 'OAuth 2 (GitHub and the like)',
  ldap: 'LDAP directory',
};

export function isProviderKind(value: unknown): value is ProviderKind {
  return typeof value === 'string' && (PROVIDER_KINDS as readonly string[]).includes(value);
}

/** The text fields of the form: the key in ProviderForm, the form field's name, and the kinds that have it. */
const TEXT_FIELDS = [
  ['slug', 'slug', null],
  ['name', 'name', null],
  ['buttonLabel', 'button_label', null],
  ['iconUrl', 'icon_url', null],
  ['allowedDomains', 'allowed_domains', null],
  ['groupsMode', 'groups_mode', null],
  ['issuer', 'issuer', ['oidc']],
  ['clientId', 'client_id', ['oidc', 'oauth2']],
  ['scopes', 'scopes', ['oidc', 'oauth2']],
  ['authorizationUrl', 'authorization_url', ['oauth2']],
  ['tokenUrl', 'token_url', ['oauth2']],
  ['userinfoUrl', 'userinfo_url', ['oauth2']],
  ['claimSubject', 'claim_subject', ['oauth2']],
  ['claimEmail', 'claim_email', ['oauth2']],
  ['claimEmailVerified', 'claim_email_verified', ['oauth2']],
  ['claimName', 'claim_name', ['oauth2']],
  ['claimGroups', 'claim_groups', ['oauth2']],
  ['url', 'url', ['ldap']],
  ['ca', 'ca', ['ldap']],
  ['bindDn', 'bind_dn', ['ldap']],
  ['userBase', 'user_base', ['ldap']],
  ['userFilter', 'user_filter', ['ldap']],
  ['groupBase', 'group_base', ['ldap']],
  ['attrEmail', 'attr_email', ['ldap']],
  ['attrName', 'attr_name', ['ldap']],
  ['attrMemberOf', 'attr_member_of', ['ldap']],
  ['passwordResetUrl', 'password_reset_url', ['ldap']],
] as const;

const CHECKBOXES = [
  ['enabled', 'enabled', null],
  ['jit', 'jit', null],
  ['trustEmail', 'trust_email', null],
  ['trustMfa', 'trust_mfa', null],
  ['startTls', 'starttls', ['ldap']],
] as const;

type TextKey = (typeof TEXT_FIELDS)[number][0];
type CheckboxKey = (typeof CHECKBOXES)[number][0];

/** The form's fields as text (and ticks), for the provider's kind. Never the secret. */
export type ProviderForm = { kind: ProviderKind } & Record<TextKey, string> & Record<CheckboxKey, boolean>;

/** The secret's form field for each kind: write-only, never rendered with a value. */
export const SECRET_FIELD: Readonly<Record<ProviderKind, string>> = { oidc: 'client_secret', oauth2: 'client_secret', ldap: 'bind_password' };
export const SECRET_FIELDS: readonly string[] = ['client_secret', 'bind_password'];

/** Every field of the form, by its name in the body (the secret's included). */
export const FORM_FIELDS: ReadonlySet<string> = new Set<string>([...TEXT_FIELDS.map(([, field]) => field), ...CHECKBOXES.map(([, field]) => field), ...SECRET_FIELDS]);

/** The new form of a kind: its defaults, as the CLI has them (enabled; StartTLS on; GitHub-like claim paths). */
export function emptyProviderForm(kind: ProviderKind): ProviderForm {
  const blank = Object.fromEntries(TEXT_FIELDS.map(([key]) => [key, ''])) as Record<TextKey, string>;
  return {
    ...blank,
    kind,
    groupsMode: 'ignore',
    scopes: kind === 'oidc' ? 'openid email profile' : '',
    claimSubject: kind === 'oauth2' ? 'id' : '',
    claimEmail: kind === 'oauth2' ? 'email' : '',
    claimName: kind === 'oauth2' ? 'name' : '',
    attrEmail: kind === 'ldap' ? 'mail' : '',
    attrName: kind === 'ldap' ? 'displayName' : '',
    enabled: true,
    jit: false,
    trustEmail: false,
    trustMfa: false,
    startTls: true,
  };
}

const ownField = (kinds: readonly ProviderKind[] | null, kind: ProviderKind) => kinds === null || kinds.includes(kind);

/** A field sent twice is a forged or broken form: refused whole, as everywhere else (a 400 page). */
function refuseRepeated(form: FormBody): void {
  for (const [name, value] of Object.entries(form)) {
    if (Array.isArray(value) && (FORM_FIELDS.has(name) || name === 'kind')) throw new ValidationError(name, `The form field “${name}” was sent more than once.`);
  }
}

/** A ticked checkbox sends `on`; anything else is a forged form. */
function ticked(form: FormBody, field: string): boolean {
  if (!sent(form, field)) return false;
  if (form[field] !== 'on') throw new ValidationError(field, `The form field “${field}” is not valid: a checkbox sends “on”.`);
  return true;
}

/** What was posted for a provider of `kind` (the URL's or the stored one's, never the body's), for redisplay and the rules. */
export function readProviderForm(body: unknown, kind: ProviderKind): ProviderForm {
  const form = bodyOf(body);
  refuseRepeated(form);
  const result = emptyProviderForm(kind);
  for (const [key, field, kinds] of TEXT_FIELDS) result[key] = ownField(kinds, kind) ? shown(form, field) : '';
  for (const [key, field, kinds] of CHECKBOXES) result[key] = ownField(kinds, kind) ? ticked(form, field) : false;
  return result;
}

/** The secret typed into the form ('' when left blank: on an edit, "keep the current one"). */
export function secretOf(body: unknown, kind: ProviderKind): string {
  return shown(bodyOf(body), SECRET_FIELD[kind]);
}

/** What a provider's view (src/manage/providers.ts providerView) shows in the edit form. */
export type StoredProvider = Omit<ProviderView, 'hasSecret' | 'linked' | 'createdAt' | 'updatedAt'>;

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');
const objectOf = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

/** A stored provider in the edit form. */
export function providerFormOf(provider: StoredProvider): ProviderForm {
  const s: Record<string, unknown> = provider.settings;
  const claims = objectOf(s.claims);
  const attributes = objectOf(s.attributes);
  const kind = provider.kind;
  return {
    ...emptyProviderForm(kind),
    slug: provider.slug,
    name: provider.name,
    buttonLabel: provider.buttonLabel ?? '',
    iconUrl: provider.iconUrl ?? '',
    enabled: provider.enabled,
    jit: provider.jit,
    allowedDomains: provider.allowedDomains.join('\n'),
    trustEmail: provider.trustEmail,
    trustMfa: provider.trustMfa,
    groupsMode: provider.groupsMode,
    issuer: textOf(s.issuer),
    clientId: textOf(s.clientId),
    scopes: Array.isArray(s.scopes) ? s.scopes.filter((scope) => typeof scope === 'string').join(' ') : '',
    authorizationUrl: textOf(s.authorizationUrl),
    tokenUrl: textOf(s.tokenUrl),
    userinfoUrl: textOf(s.userinfoUrl),
    claimSubject: kind === 'oauth2' ? textOf(claims.subject) : '',
    claimEmail: kind === 'oauth2' ? textOf(claims.email) : '',
    claimEmailVerified: kind === 'oauth2' ? textOf(claims.emailVerified) : '',
    claimName: kind === 'oauth2' ? textOf(claims.name) : '',
    claimGroups: kind === 'oauth2' ? textOf(claims.groups) : '',
    url: textOf(s.url),
    startTls: kind === 'ldap' ? s.startTls === true : false,
    ca: textOf(s.ca),
    bindDn: textOf(s.bindDn),
    userBase: textOf(s.userBase),
    userFilter: textOf(s.userFilter),
    groupBase: textOf(s.groupBase),
    attrEmail: textOf(attributes.email),
    attrName: textOf(attributes.name),
    attrMemberOf: textOf(attributes.memberOf),
    passwordResetUrl: textOf(s.passwordResetUrl),
  };
}

/**
 * Whether two forms of the same provider say the same thing in the fields that decide who signs in as whom (all but
 * the name, the button's label and its icon): what makes an edit sensitive (a recent sign-in).
 */
export function sameSignInSettings(a: ProviderForm, b: ProviderForm): boolean {
  const cosmetic = new Set<string>(['name', 'buttonLabel', 'iconUrl']);
  const normal = (key: TextKey, form: ProviderForm) => (key === 'allowedDomains' ? lines(form.allowedDomains).join('\n') : key === 'scopes' ? words(form.scopes).join(' ') : form[key].trim());
  return TEXT_FIELDS.every(([key]) => cosmetic.has(key) || normal(key, a) === normal(key, b)) && CHECKBOXES.every(([key]) => a[key] === b[key]);
}

const words = (text: string): string[] => text.split(/\s+/).filter((word) => word !== '');
/** Optional text: blank is "none" (null), so that clearing a field on an edit clears the setting. */
const optional = (text: string): string | null => (text.trim() === '' ? null : text.trim());

/**
 * The input of the shared rules for a new provider of the form's kind, or the changes of an edit (the same fields
 * but the slug and kind, which cannot change, and the secret only when one was typed). Every rule is the shared
 * module's: what the form checks itself is only what it alone knows (a groups mode that is not one of its choices).
 */
export function providerInputOf(form: ProviderForm, secret: string): { input: ProviderInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (!['ignore', 'merge', 'replace'].includes(form.groupsMode)) errors.groups_mode = 'Choose what the provider’s groups do.';
  const common = {
    slug: form.slug.trim(),
    kind: form.kind,
    name: form.name,
    buttonLabel: optional(form.buttonLabel),
    iconUrl: optional(form.iconUrl),
    enabled: form.enabled,
    jit: form.jit,
    allowedDomains: lines(form.allowedDomains),
    trustEmail: form.trustEmail,
    trustMfa: form.trustMfa,
    groupsMode: form.groupsMode as ProviderInput['groupsMode'],
  };
  const secretPart = secret === '' ? {} : form.kind === 'ldap' ? { bindPassword: secret } : { clientSecret: secret };
  let input: ProviderInput;
  if (form.kind === 'oidc') {
    input = { ...common, issuer: form.issuer.trim(), clientId: form.clientId.trim(), scopes: words(form.scopes), ...secretPart };
  } else if (form.kind === 'oauth2') {
    input = {
      ...common,
      authorizationUrl: form.authorizationUrl.trim(),
      tokenUrl: form.tokenUrl.trim(),
      userinfoUrl: form.userinfoUrl.trim(),
      clientId: form.clientId.trim(),
      scopes: words(form.scopes),
      claims: {
        subject: form.claimSubject.trim() || 'id',
        email: form.claimEmail.trim() || 'email',
        emailVerified: optional(form.claimEmailVerified),
        name: optional(form.claimName),
        groups: optional(form.claimGroups),
      },
      ...secretPart,
    };
  } else {
    input = {
      ...common,
      url: form.url.trim(),
      // ldaps:// is TLS already: the box (ticked by default) says nothing there, rather than being refused.
      startTls: /^ldaps:/i.test(form.url.trim()) ? undefined : form.startTls,
      ca: optional(form.ca),
      bindDn: form.bindDn.trim(),
      userBase: form.userBase.trim(),
      userFilter: form.userFilter.trim(),
      groupBase: optional(form.groupBase),
      attributes: { email: form.attrEmail.trim() || 'mail', name: optional(form.attrName), memberOf: optional(form.attrMemberOf) },
      passwordResetUrl: optional(form.passwordResetUrl),
      ...secretPart,
    };
  }
  return { input, errors };
}
