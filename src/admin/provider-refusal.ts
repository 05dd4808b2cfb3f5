// The shared rules' refusals on the provider form (issue 23): src/manage/providers.ts names a field in the words of
// ProviderInput (or a settings path such as claims.email); the form shows the message next to its own field of that
// meaning, or above the form when it has none.
import { ConflictError, ValidationError } from '../errors.js';
import type { ProviderKind } from '../store/records.js';
import { FORM_FIELDS, SECRET_FIELD } from './provider-forms.js';
import { sentence, type FieldErrors } from './user-forms.js';

/** The shared rules' field names (ProviderInput's, the settings' dotted paths) → the form's. */
const RULE_FIELDS: Readonly<Record<string, string>> = {
  slug: 'slug',
  name: 'name',
  buttonLabel: 'button_label',
  iconUrl: 'icon_url',
  allowedDomains: 'allowed_domains',
  groupsMode: 'groups_mode',
  issuer: 'issuer',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  secret: 'secret',
  scopes: 'scopes',
  authorizationUrl: 'authorization_url',
  tokenUrl: 'token_url',
  userinfoUrl: 'userinfo_url',
  'claims.subject': 'claim_subject',
  'claims.email': 'claim_email',
  'claims.emailVerified': 'claim_email_verified',
  'claims.name': 'claim_name',
  'claims.groups': 'claim_groups',
  url: 'url',
  startTls: 'starttls',
  ca: 'ca',
  bindDn: 'bind_dn',
  bindPassword: 'bind_password',
  userBase: 'user_base',
  userFilter: 'user_filter',
  groupBase: 'group_base',
  'attributes.email': 'attr_email',
  'attributes.name': 'attr_name',
  'attributes.memberOf': 'attr_member_of',
  passwordResetUrl: 'password_reset_url',
};

/** The form field the shared rules' field name stands for (snake_case names are the form's already). */
export function formFieldOf(ruleField: string, kind: ProviderKind): string {
  const field = RULE_FIELDS[ruleField] ?? RULE_FIELDS[ruleField.replace(/^settings\./, '')] ?? ruleField;
  return field === 'secret' ? SECRET_FIELD[kind] : field;
}

/**
 * A refusal of the shared rules as a message next to its field, with the status the page answers: a slug taken at
 * the slug, a rule's mistake at the field it names (else above the form, under `form`). Anything else is not the
 * form's and goes to the error page.
 */
export function providerRefusal(error: unknown, kind: ProviderKind): { errors: FieldErrors; status: number } | null {
  if (error instanceof ConflictError) return { errors: { slug: sentence(error.message) }, status: error.status };
  if (!(error instanceof ValidationError)) return null;
  const field = formFieldOf(error.field, kind);
  return { errors: { [FORM_FIELDS.has(field) ? field : 'form']: sentence(error.message) }, status: error.status };
}
