// The client registration form: what a person typed, kept as typed so that a refused form comes back exactly
// as it was sent, and turned into the input of the shared rules (src/manage/clients.ts) only when it is posted.
import { ValidationError } from '../errors.js';
import { graceFromText, type ClientSettings, type NewClientInput } from '../manage/clients.js';
import type { ClientRecord } from '../store/records.js';

/** The form's fields as text, the URI lists one per line, as the textareas hold them. */
export interface ClientForm {
  name: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
  /** 'confidential' or 'public' once valid; anything else is refused by newClientInput. */
  clientType: string;
  pkceOptional: boolean;
  /** Everyone signing in to it passes a second factor. */
  requireMfa: boolean;
  /** Seconds, as typed; empty for the server's REFRESH_REUSE_GRACE. */
  refreshReuseGrace: string;
}

/** A message per field, keyed by the field names of ValidationError (`redirect_uri`, not `redirect_uris`). */
export type FieldErrors = Record<string, string>;

type FormBody = Record<string, unknown>;

/** Form field name → the ValidationError field its mistakes are reported under. */
const ERROR_FIELD: Record<string, string> = {
  name: 'name',
  redirect_uris: 'redirect_uri',
  post_logout_redirect_uris: 'post_logout_redirect_uri',
  backchannel_logout_uri: 'backchannel_logout_uri',
  client_type: 'client_type',
  pkce: 'pkce',
  require_mfa: 'require_mfa',
  refresh_reuse_grace: 'refresh_reuse_grace',
};

export const EMPTY_CLIENT_FORM: ClientForm = {
  name: '',
  redirectUris: '',
  postLogoutRedirectUris: '',
  backchannelLogoutUri: '',
  clientType: 'confidential',
  pkceOptional: false,
  requireMfa: false,
  refreshReuseGrace: '',
};

function bodyOf(body: unknown): FormBody {
  return typeof body === 'object' && body !== null ? (body as FormBody) : {};
}

/** A field as text for showing it again: the first value when it was sent twice, which is refused anyway. */
function shown(body: FormBody, name: string): string {
  const value = body[name];
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : '';
}

/** What was posted, for redisplay; never throws. */
export function readClientForm(body: unknown): ClientForm {
  const form = bodyOf(body);
  return {
    name: shown(form, 'name'),
    redirectUris: shown(form, 'redirect_uris'),
    postLogoutRedirectUris: shown(form, 'post_logout_redirect_uris'),
    backchannelLogoutUri: shown(form, 'backchannel_logout_uri'),
    clientType: shown(form, 'client_type') || EMPTY_CLIENT_FORM.clientType,
    pkceOptional: shown(form, 'pkce') === 'optional',
    requireMfa: shown(form, 'require_mfa') === 'on',
    refreshReuseGrace: shown(form, 'refresh_reuse_grace'),
  };
}

/** A registered client's settings in the edit form. */
export function clientFormOf(client: ClientRecord): ClientForm {
  return {
    name: client.name,
    redirectUris: client.redirectUris.join('\n'),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'),
    backchannelLogoutUri: client.backchannelLogoutUri ?? '',
    clientType: client.clientType,
    pkceOptional: !client.pkceRequired,
    requireMfa: client.requireMfa,
    refreshReuseGrace: client.refreshReuseGrace === null ? '' : String(client.refreshReuseGrace),
  };
}

/** A parameter sent twice is refused, as everywhere else (ARCHITECTURE: validate at the edge). */
function refuseRepeated(body: unknown): void {
  for (const [name, value] of Object.entries(bodyOf(body))) {
    const field = ERROR_FIELD[name];
    if (field && Array.isArray(value)) throw new ValidationError(field, 'this field was sent more than once');
  }
}

/**
 * One URI a line. Blank lines and the spaces a textarea adds around a line are dropped: a URI cannot contain
 * whitespace, so nothing that is part of a URI is lost, and anything else is left to the shared rules.
 */
function lines(text: string): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * The reuse grace as posted: absent (a form without the field) leaves it as it is, empty is the server's, digits
 * are seconds (the shared rules check the range).
 */
function graceOf(body: unknown, typed: string): number | null | undefined {
  if (!('refresh_reuse_grace' in bodyOf(body))) return undefined;
  return typed.trim() === '' ? null : graceFromText(typed);
}

/** The settings both forms share; the shared rules check them (updateClient, createClient). */
export function clientSettings(body: unknown): ClientSettings {
  refuseRepeated(body);
  const form = readClientForm(body);
  const backchannel = form.backchannelLogoutUri.trim();
  return {
    name: form.name,
    redirectUris: lines(form.redirectUris),
    postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
    backchannelLogoutUri: backchannel === '' ? null : backchannel,
    // An unticked box is not sent: absent means off, on the edit form as on the registration form.
    requireMfa: form.requireMfa,
    refreshReuseGrace: graceOf(body, form.refreshReuseGrace),
  };
}

/** The registration form: the shared settings, and the type and PKCE rule that only creation sets. */
export function newClientInput(body: unknown): NewClientInput {
  const settings = clientSettings(body);
  const form = readClientForm(body);
  if (form.clientType !== 'confidential' && form.clientType !== 'public') {
    throw new ValidationError('client_type', 'choose whether the client is confidential or public');
  }
  const pkce = shown(bodyOf(body), 'pkce');
  if (pkce !== '' && pkce !== 'optional') throw new ValidationError('pkce', 'PKCE is required unless this box says optional');
  return {
    ...settings,
    backchannelLogoutUri: settings.backchannelLogoutUri ?? undefined,
    isPublic: form.clientType === 'public',
    pkce: form.pkceOptional ? 'optional' : 'required',
  };
}

/** The field errors of a refused form; any other error is not the form's and goes on to the error page. */
export function fieldErrorsOf(error: unknown): FieldErrors | null {
  return error instanceof ValidationError ? { [error.field]: error.message } : null;
}
