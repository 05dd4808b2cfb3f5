// The API form (issue 22), on the "New API" page and an API's page: what a person typed, kept as typed so that a
// refused form comes back exactly as it was sent, and turned into the input of the shared rules (src/manage/apis.ts,
// the rules `idp api` uses) only when it is posted. Scopes are rows of a name and a description, `scope_name_<i>` and
// `scope_description_<i>`; a row left blank is no scope, and the form always offers a few blank rows for new ones.
import { ConflictError, ValidationError } from '../errors.js';
import { checkAccepts, checkApiIdentifier, checkApiName, checkApiScope, checkApiScopes, checkTokenFormat, MAX_API_SCOPES, tokenLifetimeFromText, type ApiInput } from '../manage/apis.js';
import type { ApiRecord } from '../store/records.js';
import { bodyOf, shown, type FormBody } from './client-form-text.js';
import { sentence, type FieldErrors } from './user-forms.js';

export interface ScopeRow {
  name: string;
  description: string;
}

/** The form's fields as text. */
export interface ApiForm {
  name: string;
  identifier: string;
  /** The rows that hold something, in the order typed (blank rows dropped: the page adds its own). */
  scopes: ScopeRow[];
  /** Seconds as typed; empty for the server's ACCESS_TOKEN_TTL. */
  tokenLifetime: string;
  /** 'jwt' or 'opaque' once valid. */
  tokenFormat: string;
  /** 'people', 'machines' or 'both' once valid. */
  accepts: string;
}

/** Blank rows below the API's scopes, for new ones (more: save, and the page offers as many again). */
export const BLANK_SCOPE_ROWS = 3;
/**
 * Row numbers read from a form: the rules allow 100 scopes, and a page offers them plus BLANK_SCOPE_ROWS; higher
 * numbers are not from our page and are ignored rather than read without end.
 */
const MAX_ROW = 200;

export const EMPTY_API_FORM: ApiForm = { name: '', identifier: '', scopes: [], tokenLifetime: '', tokenFormat: 'jwt', accepts: 'both' };

/** The fields of the form (besides the rows): each sent at most once. */
const FIELDS = ['name', 'identifier', 'token_lifetime', 'token_format', 'accepts'];

/** A field sent twice is a forged or broken form: refused whole, as everywhere else (a 400 page). */
function refuseRepeated(form: FormBody): void {
  for (const [name, value] of Object.entries(form)) {
    if (Array.isArray(value) && (FIELDS.includes(name) || /^scope_(name|description)_\d+$/.test(name))) {
      throw new ValidationError(name, `The form field “${name}” was sent more than once.`);
    }
  }
}

function scopeRows(form: FormBody): ScopeRow[] {
  const rows: ScopeRow[] = [];
  for (let i = 0; i < MAX_ROW; i++) {
    const name = shown(form, `scope_name_${i}`);
    const description = shown(form, `scope_description_${i}`);
    if (name.trim() !== '' || description.trim() !== '') rows.push({ name, description });
  }
  return rows;
}

/** What was posted, for redisplay and for the rules. */
export function readApiForm(body: unknown): ApiForm {
  const form = bodyOf(body);
  refuseRepeated(form);
  return {
    name: shown(form, 'name'),
    identifier: shown(form, 'identifier'),
    scopes: scopeRows(form),
    tokenLifetime: shown(form, 'token_lifetime'),
    tokenFormat: shown(form, 'token_format') || EMPTY_API_FORM.tokenFormat,
    accepts: shown(form, 'accepts') || EMPTY_API_FORM.accepts,
  };
}

/** A registered API in the edit form. */
export function apiFormOf(api: ApiRecord): ApiForm {
  return {
    name: api.name,
    identifier: api.identifier,
    scopes: api.scopes.map((scope) => ({ name: scope.name, description: scope.description })),
    tokenLifetime: api.tokenLifetime === null ? '' : String(api.tokenLifetime),
    tokenFormat: api.tokenFormat,
    accepts: api.accepts,
  };
}

/** Runs a rule, keeping its message (as a sentence) under `key` when it refuses; other errors go on. */
function check(errors: FieldErrors, key: string, rule: () => unknown): void {
  try {
    rule();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors[key] ??= sentence(error.message);
  }
}

/**
 * The input of the shared rules, and every mistake of the form at once, each at its field (the rules of
 * src/manage/apis.ts, run row by row so that a scope's mistake shows at its row, and a name given twice at its second
 * row). The shared rules check everything again when the input is written; what only they can see (an identifier
 * taken, a scope name an attribute uses) comes back from them (apiRefusal).
 */
export function apiInputOf(form: ApiForm): { input: ApiInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const identifier = form.identifier.trim();
  check(errors, 'name', () => checkApiName(form.name));
  check(errors, 'identifier', () => checkApiIdentifier(identifier));
  let tokenLifetime: number | null = null;
  check(errors, 'token_lifetime', () => (tokenLifetime = tokenLifetimeFromText(form.tokenLifetime)));
  check(errors, 'token_format', () => checkTokenFormat(form.tokenFormat));
  check(errors, 'accepts', () => checkAccepts(form.accepts));
  const seen = new Set<string>();
  form.scopes.forEach((row, i) => {
    const name = row.name.trim();
    if (name === '') {
      errors[`scope_name_${i}`] = 'Give this scope a name, or clear its description.';
      return;
    }
    try {
      checkApiScope(row);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // The rule names the description when it is the description that breaks it.
      errors[`scope_${error.message.startsWith('the description') ? 'description' : 'name'}_${i}`] = sentence(error.message);
    }
    if (seen.has(name)) errors[`scope_name_${i}`] ??= `The scope ${name} is already listed above.`;
    seen.add(name);
  });
  if (form.scopes.length === 0) errors.scopes = 'An API needs at least one scope: give it a name below.';
  else check(errors, 'scopes', () => (form.scopes.length > MAX_API_SCOPES ? checkApiScopes(form.scopes) : undefined));
  return {
    input: {
      name: form.name,
      identifier,
      scopes: form.scopes.map((row) => ({ name: row.name.trim(), description: row.description.trim() })),
      tokenLifetime,
      tokenFormat: form.tokenFormat === 'opaque' ? 'opaque' : 'jwt',
      accepts: form.accepts === 'people' || form.accepts === 'machines' ? form.accepts : 'both',
    },
    errors,
  };
}

/** The shared rules' field names → the form's, for the fields that are not rows. */
const RULE_FIELDS: Readonly<Record<string, string>> = {
  name: 'name',
  identifier: 'identifier',
  token_lifetime: 'token_lifetime',
  token_format: 'token_format',
  accepts: 'accepts',
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A refusal of the shared rules as a message next to its field, with the status the page answers: an identifier
 * taken at the identifier, a scope's mistake at the row of the scope it names (else above the rows). Anything else
 * is not the form's and goes to the error page.
 */
export function apiRefusal(error: unknown, form: ApiForm): { errors: FieldErrors; status: number } | null {
  if (error instanceof ConflictError) return { errors: { identifier: sentence(error.message) }, status: error.status };
  if (!(error instanceof ValidationError)) return null;
  const message = sentence(error.message);
  const field = RULE_FIELDS[error.field];
  if (field) return { errors: { [field]: message }, status: error.status };
  const row = form.scopes.findIndex((scope) => {
    const name = scope.name.trim();
    return name !== '' && new RegExp(`(^|[\\s"])${escapeRegExp(name)}([\\s".:]|$)`).test(error.message);
  });
  if (row >= 0) return { errors: { [`scope_name_${row}`]: message }, status: error.status };
  return { errors: { scopes: message }, status: error.status };
}
