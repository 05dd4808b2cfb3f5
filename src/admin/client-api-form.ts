// The APIs part of the client forms (issue 22): for each registered API, whether the client may request tokens for it
// (all of its scopes, now and later, or the ones ticked) and whether it may introspect its tokens (the API's own
// credentials, RFC 7662 §4). Each API's fields are named by its id: `api_request_<id>` (a box), `api_scopes_<id>`
// ('all' or 'listed'), `api_scope_<id>_<scope name>` (a box per scope) and `api_introspect_<id>` (a box); the hidden
// `apis_listed` says that the form had them at all (a form without it, from before issue 22, leaves the grants as
// they are). Only the fields of APIs that exist are read, so a forged field names nothing. Kept as typed for
// redisplay, like the rest of the form, and turned into the ClientApiSettings of src/manage/client-apis.ts, whose
// mistakes are shown at the API they are about.
import { ValidationError } from '../errors.js';
import type { ClientApiSettings } from '../manage/client-apis.js';
import type { ApiRecord, ClientApiAccess } from '../store/records.js';
import type { Store } from '../store/store.js';
import { apiPath, apisPath } from './api-pages.js';
import { sent, shown, type FormBody } from './client-form-text.js';
import type { AdminDependencies } from './context.js';

/** What one API's fields hold. */
export interface ApiGrantForm {
  request: boolean;
  /** 'all' (the default) or 'listed' once valid. */
  scopes: string;
  /** The scope names ticked. */
  listed: string[];
  introspect: boolean;
}

export interface ClientApiForm {
  /** By API id; an API absent from the map has nothing ticked. */
  grants: Record<string, ApiGrantForm>;
}

export const EMPTY_API_GRANTS: ClientApiForm = { grants: {} };

/** An API as the form offers it. */
export interface ApiChoice {
  id: string;
  name: string;
  identifier: string;
  accepts: ApiRecord['accepts'];
  scopes: ApiRecord['scopes'];
  path: string;
}

/** How many APIs the form reads at most: a deployment has a handful; a page of the store's list at a time. */
const MAX_API_CHOICES = 500;

/** Every API (in name order), for the form's boxes. */
export async function apiChoiceRecords(store: Store): Promise<ApiRecord[]> {
  const apis: ApiRecord[] = [];
  let after: string | null = null;
  do {
    const page = await store.apis.list({ after, limit: 100 });
    apis.push(...page.items);
    after = page.next;
  } while (after !== null && apis.length < MAX_API_CHOICES);
  return apis;
}

export async function apiChoices(deps: AdminDependencies): Promise<{ apis: ApiChoice[]; apisPath: string }> {
  const apis = await apiChoiceRecords(deps.store);
  return {
    apis: apis.map((api) => ({ id: api.id, name: api.name, identifier: api.identifier, accepts: api.accepts, scopes: api.scopes, path: apiPath(deps, api.id) })),
    apisPath: apisPath(deps),
  };
}

export const requestField = (apiId: string) => `api_request_${apiId}`;
export const scopesField = (apiId: string) => `api_scopes_${apiId}`;
export const scopeField = (apiId: string, scope: string) => `api_scope_${apiId}_${scope}`;
export const introspectField = (apiId: string) => `api_introspect_${apiId}`;
export const APIS_MARKER = 'apis_listed';

/** The client's grants as the form shows them. */
export function apiGrantsFormOf(access: readonly ClientApiAccess[]): ClientApiForm {
  const grants: Record<string, ApiGrantForm> = {};
  for (const grant of access) {
    const form = (grants[grant.apiId] ??= { request: false, scopes: 'all', listed: [], introspect: false });
    if (grant.role === 'introspect') form.introspect = true;
    else {
      form.request = true;
      form.scopes = grant.scopes === null ? 'all' : 'listed';
      form.listed = grant.scopes ?? [];
    }
  }
  return { grants };
}

/** Whether the posted form had the APIs fields (the hidden marker). */
export function hasApiFields(form: FormBody): boolean {
  return sent(form, APIS_MARKER);
}

/** A field sent twice is refused, as everywhere else. */
function refuseRepeated(form: FormBody, name: string): void {
  if (Array.isArray(form[name])) throw new ValidationError(name, 'this field was sent more than once');
}

/** What was posted for these APIs, for redisplay and for the rules; `fallback` when the form had no APIs fields. */
export function readApiGrants(form: FormBody, apis: readonly ApiChoice[] | readonly ApiRecord[], fallback: ClientApiForm = EMPTY_API_GRANTS): ClientApiForm {
  if (!hasApiFields(form)) return fallback;
  const grants: Record<string, ApiGrantForm> = {};
  for (const api of apis) {
    grants[api.id] = {
      request: shown(form, requestField(api.id)) === 'on',
      scopes: shown(form, scopesField(api.id)) || 'all',
      listed: api.scopes.map((scope) => scope.name).filter((name) => shown(form, scopeField(api.id, name)) === 'on'),
      introspect: shown(form, introspectField(api.id)) === 'on',
    };
  }
  return { grants };
}

/**
 * The settings of the shared rules, or undefined when the form had no APIs fields. The form's own mistakes are
 * ValidationErrors at the API's box: scopes ticked for an API the client may not request, "only these" with none.
 */
export function apiSettingsOf(form: FormBody, apis: readonly ApiRecord[]): ClientApiSettings | undefined {
  if (!hasApiFields(form)) return undefined;
  for (const api of apis) {
    for (const name of [requestField(api.id), scopesField(api.id), introspectField(api.id), ...api.scopes.map((scope) => scopeField(api.id, scope.name))]) refuseRepeated(form, name);
  }
  const typed = readApiGrants(form, apis);
  const settings: ClientApiSettings = { request: [], introspect: [] };
  for (const api of apis) {
    const grant = typed.grants[api.id];
    if (!grant) continue;
    const field = requestField(api.id);
    if (grant.scopes !== 'all' && grant.scopes !== 'listed') throw new ValidationError(field, `choose all the scopes of ${api.name}, or only those ticked`);
    if (grant.request) {
      if (grant.scopes === 'listed' && grant.listed.length === 0) throw new ValidationError(field, `tick the scopes of ${api.name} the client may ask for, or choose all of them`);
      settings.request.push({ api: api.id, scopes: grant.scopes === 'all' ? null : grant.listed });
    } else if (grant.scopes === 'listed' && grant.listed.length > 0) {
      throw new ValidationError(field, `tick “may request tokens” for ${api.name} to grant the scopes ticked, or untick them`);
    }
    if (grant.introspect) settings.introspect.push(api.id);
  }
  return settings;
}

/**
 * A refusal of the shared rules (ValidationError 'apis', naming the API by its identifier) at the box of the API it
 * is about; a message naming none stays at the APIs fieldset ('apis').
 */
export function apiRefusalField(error: ValidationError, apis: readonly ApiRecord[]): string {
  if (error.field !== 'apis') return error.field;
  // The longest identifier first: one identifier may be the start of another.
  const named = [...apis].sort((a, b) => b.identifier.length - a.identifier.length).find((api) => error.message.includes(`${api.identifier} `) || error.message.endsWith(api.identifier));
  return named ? requestField(named.id) : 'apis';
}

/** A grant's scopes as one comparable text. */
const grantKey = (apiId: string, role: string, scopes: readonly string[] | null) => `${apiId} ${role} ${scopes === null ? '*' : [...scopes].sort().join(' ')}`;

/** Whether the settings would change the client's grants (APIs named by id, as the form names them). */
export function changesGrants(settings: ClientApiSettings, current: readonly ClientApiAccess[]): boolean {
  const wanted = [
    ...settings.request.map((grant) => grantKey(grant.api, 'request', grant.scopes === null ? null : [...new Set(grant.scopes)])),
    ...[...new Set(settings.introspect)].map((api) => grantKey(api, 'introspect', null)),
  ].sort();
  const have = current.map((grant) => grantKey(grant.apiId, grant.role, grant.scopes)).sort();
  return wanted.length !== have.length || wanted.some((key, i) => key !== have[i]);
}
