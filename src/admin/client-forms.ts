// The client registration form: what a person typed, kept as typed so that a refused form comes back exactly
// as it was sent, and turned into the input of the shared rules (src/manage/clients.ts) only when it is posted.
import { ValidationError } from '../errors.js';
import { graceFromText, type ClientSettings, type NewClientInput } from '../manage/clients.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type ApiRecord, type ClientApiAccess, type ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { accessFormOf, accessSettings, ACCESS_ERROR_FIELDS, EMPTY_ACCESS_FORM, readAccessForm, typedAccess, type ClientAccessForm } from './client-access-form.js';
import { apiGrantsFormOf, apiRefusalField, apiSettingsOf, EMPTY_API_GRANTS, readApiGrants, type ClientApiForm } from './client-api-form.js';
import { bodyOf, lines, sent, shown } from './client-form-text.js';

/** The form's fields as text, the URI lists one per line, as the textareas hold them; the access fields with them. */
export interface ClientForm extends ClientAccessForm {
  name: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
  /** 'confidential' or 'public' once valid; anything else is refused by newClientInput. */
  clientType: string;
  pkceOptional: boolean;
  /** Everyone signing in to it passes a second factor. */
  requireMfa: boolean;
  /** A third party's application (issue 24): people are asked to allow what it requests. */
  thirdParty: boolean;
  /** RFC 7591 §2 client_uri, policy_uri, tos_uri as typed: the pages the consent screen links to (issue 24). */
  clientUri: string;
  policyUri: string;
  tosUri: string;
  /** Seconds, as typed; empty for the server's REFRESH_REUSE_GRACE. */
  refreshReuseGrace: string;
  /** A machine client (client credentials only, issue 22): chosen at registration. */
  machine: boolean;
  /** May use the device authorization grant: chosen at registration. */
  device: boolean;
  /** The public JWKS (private_key_jwt) as typed, or the stored one. */
  jwks: string;
  /** Where the client publishes its JWKS, as typed. */
  jwksUri: string;
  /** The APIs it may request tokens for, or introspect. */
  apiGrants: ClientApiForm;
  /** Issue 28 (RFC 9126 §6): its authorization requests only through the pushed authorization request endpoint. */
  requirePar: boolean;
  /** Issue 28 (RFC 9449 §5.2): every token request with a DPoP proof. */
  dpopBound: boolean;
}

/** A message per field, keyed by the field names of ValidationError (`redirect_uri`, not `redirect_uris`). */
export type FieldErrors = Record<string, string>;

/** Form field name → the ValidationError field its mistakes are reported under. */
const ERROR_FIELD: Record<string, string> = {
  name: 'name',
  redirect_uris: 'redirect_uri',
  post_logout_redirect_uris: 'post_logout_redirect_uri',
  backchannel_logout_uri: 'backchannel_logout_uri',
  client_type: 'client_type',
  pkce: 'pkce',
  require_mfa: 'require_mfa',
  third_party: 'third_party',
  client_uri: 'client_uri',
  policy_uri: 'policy_uri',
  tos_uri: 'tos_uri',
  refresh_reuse_grace: 'refresh_reuse_grace',
  machine: 'machine',
  device: 'device',
  jwks: 'jwks',
  jwks_uri: 'jwks_uri',
  require_pushed_authorization_requests: 'require_pushed_authorization_requests',
  dpop_bound_access_tokens: 'dpop_bound_access_tokens',
  ...ACCESS_ERROR_FIELDS,
};

/** Issue 28's boxes: form field (named as RFC 9126 §6 and RFC 9449 §5.2 name the metadata) → ClientForm key. */
const SENDER_CONSTRAINT_BOXES = [
  ['require_pushed_authorization_requests', 'requirePar'],
  ['dpop_bound_access_tokens', 'dpopBound'],
] as const;

export const EMPTY_CLIENT_FORM: ClientForm = {
  name: '',
  redirectUris: '',
  postLogoutRedirectUris: '',
  backchannelLogoutUri: '',
  clientType: 'confidential',
  pkceOptional: false,
  requireMfa: false,
  thirdParty: false,
  clientUri: '',
  policyUri: '',
  tosUri: '',
  refreshReuseGrace: '',
  machine: false,
  device: false,
  jwks: '',
  jwksUri: '',
  apiGrants: EMPTY_API_GRANTS,
  requirePar: false,
  dpopBound: false,
  ...EMPTY_ACCESS_FORM,
};

/**
 * What was posted, for redisplay; never throws. An access field the form did not have shows `fallback`'s (the
 * client's settings when an edit is refused), as the shared rules leave that setting as it is; so do the kind (fixed
 * at registration: the edit form has no such boxes), the keys, the home page, policy and terms (a machine client's
 * edit form has none) and the APIs (`apis`: every API the form offered).
 */
export function readClientForm(body: unknown, fallback: ClientForm = EMPTY_CLIENT_FORM, apis: readonly ApiRecord[] = []): ClientForm {
  const form = bodyOf(body);
  const kept = (name: string, key: 'jwks' | 'jwksUri' | 'clientUri' | 'policyUri' | 'tosUri') => (sent(form, name) ? shown(form, name) : fallback[key]);
  const ticked = (name: string, key: 'machine' | 'device') => (sent(form, name) ? shown(form, name) === 'on' : fallback[key]);
  return {
    machine: ticked('machine', 'machine'),
    device: ticked('device', 'device'),
    jwks: kept('jwks', 'jwks'),
    jwksUri: kept('jwks_uri', 'jwksUri'),
    clientUri: kept('client_uri', 'clientUri'),
    policyUri: kept('policy_uri', 'policyUri'),
    tosUri: kept('tos_uri', 'tosUri'),
    apiGrants: readApiGrants(form, apis, fallback.apiGrants),
    ...readAccessForm(form, fallback),
    name: shown(form, 'name'),
    redirectUris: shown(form, 'redirect_uris'),
    postLogoutRedirectUris: shown(form, 'post_logout_redirect_uris'),
    backchannelLogoutUri: shown(form, 'backchannel_logout_uri'),
    clientType: shown(form, 'client_type') || EMPTY_CLIENT_FORM.clientType,
    pkceOptional: shown(form, 'pkce') === 'optional',
    requireMfa: shown(form, 'require_mfa') === 'on',
    thirdParty: shown(form, 'third_party') === 'on',
    refreshReuseGrace: shown(form, 'refresh_reuse_grace'),
    requirePar: shown(form, 'require_pushed_authorization_requests') === 'on',
    dpopBound: shown(form, 'dpop_bound_access_tokens') === 'on',
  };
}

/** Whether a registered client is a machine client, and whether it may use the device flow (fixed at registration). */
export const isMachine = (client: Pick<ClientRecord, 'grantTypes'>) => client.grantTypes.includes(CLIENT_CREDENTIALS_GRANT);
export const usesDeviceFlow = (client: Pick<ClientRecord, 'grantTypes'>) => client.grantTypes.includes(DEVICE_CODE_GRANT);

/** The stored JWKS as the textarea shows it: indented, one member a line, so that a key is recognisable. */
function jwksText(jwks: string | null): string {
  if (jwks === null) return '';
  try {
    return JSON.stringify(JSON.parse(jwks), null, 2);
  } catch {
    return jwks;
  }
}

/**
 * A registered client's settings in the edit form; `groupNames` gives its groups' ids their names, `access` its API
 * grants.
 */
export function clientFormOf(client: ClientRecord, groupNames: ReadonlyMap<string, string>, access: readonly ClientApiAccess[] = []): ClientForm {
  return {
    machine: isMachine(client),
    device: usesDeviceFlow(client),
    jwks: jwksText(client.jwks),
    jwksUri: client.jwksUri ?? '',
    apiGrants: apiGrantsFormOf(access),
    ...accessFormOf(client, groupNames),
    name: client.name,
    redirectUris: client.redirectUris.join('\n'),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'),
    backchannelLogoutUri: client.backchannelLogoutUri ?? '',
    clientType: client.clientType,
    pkceOptional: !client.pkceRequired,
    requireMfa: client.requireMfa,
    thirdParty: client.thirdParty,
    clientUri: client.clientUri ?? '',
    policyUri: client.policyUri ?? '',
    tosUri: client.tosUri ?? '',
    refreshReuseGrace: client.refreshReuseGrace === null ? '' : String(client.refreshReuseGrace),
    requirePar: client.requirePushedAuthorizationRequests,
    dpopBound: client.dpopBoundAccessTokens,
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
 * The reuse grace as posted: absent (a form without the field) leaves it as it is, empty is the server's, digits
 * are seconds (the shared rules check the range).
 */
function graceOf(body: unknown, typed: string): number | null | undefined {
  if (!('refresh_reuse_grace' in bodyOf(body))) return undefined;
  return typed.trim() === '' ? null : graceFromText(typed);
}

/**
 * The settings both forms share; the shared rules check them (updateClient, createClient). Group names are
 * looked up here (an unknown one is a ValidationError at its field), so the group lists are ids.
 */
export async function clientSettings(store: Store, body: unknown): Promise<ClientSettings> {
  refuseRepeated(body);
  const form = readClientForm(body);
  const thirdParty = shown(bodyOf(body), 'third_party');
  // Unticking it skips the consent screen: only this form's own value counts as ticked.
  if (thirdParty !== '' && thirdParty !== 'on') throw new ValidationError('third_party', 'this box is ticked or not: any other value is not from this form');
  // Unticking either weakens the client's protection: only this form's own value counts as ticked.
  for (const [box] of SENDER_CONSTRAINT_BOXES) {
    const value = shown(bodyOf(body), box);
    if (value !== '' && value !== 'on') throw new ValidationError(box, 'this box is ticked or not: any other value is not from this form');
  }
  const backchannel = form.backchannelLogoutUri.trim();
  // Absent from the form (a machine client's edit form has none) leaves a page as it is; empty clears it.
  const page = (name: string, typed: string) => (sent(bodyOf(body), name) ? typed.trim() : undefined);
  const access = await accessSettings(store, typedAccess(bodyOf(body)));
  return {
    name: form.name,
    redirectUris: lines(form.redirectUris),
    postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
    backchannelLogoutUri: backchannel === '' ? null : backchannel,
    // An unticked box is not sent: absent means off, on the edit form as on the registration form.
    requireMfa: form.requireMfa,
    // Unticked is first-party (issue 24): consent is then asked only when the application sends prompt=consent.
    thirdParty: form.thirdParty,
    // Checked by the shared rules (src/manage/client-third-party.ts): https, or http on a loopback host; no fragment.
    clientUri: page('client_uri', form.clientUri),
    policyUri: page('policy_uri', form.policyUri),
    tosUri: page('tos_uri', form.tosUri),
    refreshReuseGrace: graceOf(body, form.refreshReuseGrace),
    // Absent from the form leaves the keys as they are; empty clears (src/manage/client-keys.ts plannedKeys).
    jwks: sent(bodyOf(body), 'jwks') ? form.jwks : undefined,
    jwksUri: sent(bodyOf(body), 'jwks_uri') ? form.jwksUri.trim() : undefined,
    // Issue 28: an unticked box is not sent, so absent is off (views/admin/clients/protection-fields.ejs: every
    // form that posts here has both boxes, but a machine client's, which has no PAR box: it cannot require PAR).
    requirePushedAuthorizationRequests: form.requirePar,
    dpopBoundAccessTokens: form.dpopBound,
    ...access,
  };
}

/**
 * The registration form: the shared settings, and what only creation sets: the type, the PKCE rule, whether it is a
 * machine client or may use the device flow, and its APIs (`apis`: every API the form offered).
 */
export async function newClientInput(store: Store, body: unknown, apis: readonly ApiRecord[] = []): Promise<NewClientInput> {
  // The rules of the form itself first: no group is looked up for a form refused anyway.
  refuseRepeated(body);
  const form = readClientForm(body);
  if (form.clientType !== 'confidential' && form.clientType !== 'public') {
    throw new ValidationError('client_type', 'choose whether the client is confidential or public');
  }
  const pkce = shown(bodyOf(body), 'pkce');
  if (pkce !== '' && pkce !== 'optional') throw new ValidationError('pkce', 'PKCE is required unless this box says optional');
  for (const box of ['machine', 'device']) {
    const value = shown(bodyOf(body), box);
    if (value !== '' && value !== 'on') throw new ValidationError(box, 'this box is ticked or not: any other value is not from this form');
  }
  const grants = apiSettingsOf(bodyOf(body), apis);
  const settings = await clientSettings(store, body);
  return {
    ...settings,
    backchannelLogoutUri: settings.backchannelLogoutUri ?? undefined,
    isPublic: form.clientType === 'public',
    pkce: form.pkceOptional ? 'optional' : 'required',
    machine: form.machine,
    device: form.device,
    ...(grants === undefined ? {} : { apis: grants }),
  };
}

/**
 * The field errors of a refused form; any other error is not the form's and goes on to the error page. A refusal of
 * the API grants shows at the API it names (`apis`: the APIs the form offered).
 */
export function fieldErrorsOf(error: unknown, apis: readonly ApiRecord[] = []): FieldErrors | null {
  return error instanceof ValidationError ? { [apiRefusalField(error, apis)]: error.message } : null;
}

/** The element a field's error is about, for the error summary's links (the first radio button of a choice). */
const ERROR_TARGET: Record<string, string> = {
  client_type: 'client_type-confidential',
  access_policy: 'access_policy-everyone',
};

export interface ErrorLink {
  message: string;
  /** The id of the field's element on the page. */
  target: string;
}

/**
 * The error summary at the top of a refused form: each message with a link to its field (GOV.UK-style error
 * summary; WCAG 2.2 SC 3.3.1), since the field may be far down a long form.
 */
export function errorSummary(errors: FieldErrors, form: Pick<ClientForm, 'groupsClaim'>): ErrorLink[] {
  return Object.entries(errors).map(([field, message]) => ({
    message,
    target: field === 'groups_claim' ? (form.groupsClaim === 'prefix' ? 'groups_claim_prefix' : 'groups_claim-all') : (ERROR_TARGET[field] ?? field),
  }));
}
