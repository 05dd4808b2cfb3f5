// /api/v1/clients: the applications (scope manage:clients), on the rules of src/manage/clients.ts that `idp client`
// and the admin screens use: the same checks of every setting and kind, the same audit events. The secret is returned
// once, by create and by POST /clients/{client_id}/secret, never again. The API grants are a sub-resource
// (/clients/{client_id}/apis, replaced whole by PUT), outside the client's version and ETag.
//
// manage:clients can give a client the management API's scopes, or take over a client that holds them (a new secret,
// new keys): the caller could then act with scopes it does not hold. So these are refused (403 insufficient_scope)
// unless the caller holds every management scope involved.
import { z } from 'zod';
import { InsufficientScope, ValidationError } from '../errors.js';
import { findApi } from '../manage/apis.js';
import { clientApis, setClientApis, type ClientApiSettings } from '../manage/client-apis.js';
import { createClient, deleteClient, findClient, rotateClientSecret, updateClient } from '../manage/clients.js';
import { MANAGE_SCOPES, type ClientApiAccess, type ClientRecord, type ManageScope } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ApiCaller } from './caller.js';
import {
  clientApiSettings,
  clientApisInput,
  clientApisJson,
  clientApisSchema,
  clientJson,
  clientSchema,
  clientSettings,
  clientSettingsShape,
  clientWithSecretSchema,
  newClientBody,
  newClientInput,
} from './client-schemas.js';
import { defineOperation, type ApiOperation } from './operation.js';
import { pageOf, pageQuery, readPage } from './paging.js';
import { patchOf, resourceId } from './schemas.js';

const TAG = 'clients';
const SCOPE = 'manage:clients';

const clientParams = z.strictObject({ client_id: resourceId });

/** The manage rules name some fields as the `idp` tool's flags do; the API's problems name the body's fields. */
const API_FIELDS: Readonly<Record<string, string>> = {
  name: 'client_name',
  redirect_uri: 'redirect_uris',
  post_logout_redirect_uri: 'post_logout_redirect_uris',
  pkce: 'pkce_required',
};

async function asApiFields<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const field = error instanceof ValidationError ? API_FIELDS[error.field] : undefined;
    if (error instanceof ValidationError && field !== undefined && field !== error.field) throw new ValidationError(field, error.message);
    throw error;
  }
}
const etagOf = (client: ClientRecord) => ({ id: client.clientId, version: client.version });

/** The management scopes these grants give (a grant of the built-in API with no list: all of them). */
function managementScopes(grants: readonly Pick<ClientApiAccess, 'api' | 'role' | 'scopes'>[]): ManageScope[] {
  const held = new Set<string>();
  for (const grant of grants) {
    if (grant.role !== 'request' || !grant.api.builtIn) continue;
    for (const scope of grant.scopes ?? MANAGE_SCOPES) held.add(scope);
  }
  return MANAGE_SCOPES.filter((scope) => held.has(scope));
}

/** Refuses a change that would let the caller act with a management scope it does not hold (head of this file). */
function requireHeld(caller: ApiCaller, scopes: readonly ManageScope[], what: string): void {
  const missing = scopes.find((scope) => !caller.scopes.has(scope));
  if (missing !== undefined) throw new InsufficientScope(missing, `${what} needs ${scopes.join(' ')}, the management API scopes involved, and this token lacks ${missing}`);
}

/** The grants the settings name, looked up (the manage layer checks them again, with its own messages). */
async function plannedManagementScopes(store: Store, settings: ClientApiSettings): Promise<ManageScope[]> {
  const grants = await Promise.all(settings.request.map(async (grant) => ({ api: await findApi(store, grant.api), role: 'request' as const, scopes: grant.scopes })));
  return managementScopes(grants);
}

/** A client's current grants of management scopes: who takes it over acts with them. */
async function heldByClient(store: Store, clientId: string): Promise<ManageScope[]> {
  return managementScopes(await store.apis.accessOf(clientId));
}

const listClients = defineOperation({
  operationId: 'listClients',
  method: 'get',
  path: '/clients',
  scope: SCOPE,
  tag: TAG,
  summary: 'List clients in name order',
  query: pageQuery,
  response: pageOf(clientSchema),
  status: 200,
  paged: true,
  async handler({ deps, query }) {
    const page = await readPage(query, (options) => deps.store.clients.list(options));
    return { body: { items: page.items.map(clientJson), next_cursor: page.next }, nextCursor: page.next };
  },
});

const createClientOperation = defineOperation({
  operationId: 'createClient',
  method: 'post',
  path: '/clients',
  scope: SCOPE,
  tag: TAG,
  summary: 'Register a client',
  description:
    'The answer holds the client secret (confidential clients without keys), shown this once and stored only as a hash. ' +
    '`machine: true` makes a client_credentials client; `apis` lists the APIs it may request tokens for (with the management API, only scopes the calling token holds).',
  body: newClientBody,
  response: clientWithSecretSchema,
  status: 201,
  etag: true,
  async handler({ deps, manage, caller, body }) {
    const apis = clientApiSettings({ apis: body.apis ?? [], introspect_apis: body.introspect_apis ?? [] });
    requireHeld(caller, await plannedManagementScopes(deps.store, apis), 'granting the management API');
    const { client, clientSecret } = await asApiFields(createClient(manage, newClientInput(body, apis)));
    return { body: { ...clientJson(client), client_secret: clientSecret }, etag: etagOf(client), location: `/clients/${client.clientId}` };
  },
});

const getClient = defineOperation({
  operationId: 'getClient',
  method: 'get',
  path: '/clients/{client_id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Read a client',
  params: clientParams,
  response: clientSchema,
  status: 200,
  etag: true,
  async handler({ manage, params }) {
    const client = await findClient(manage, params.client_id);
    return { body: clientJson(client), etag: etagOf(client) };
  },
});

const updateClientOperation = defineOperation({
  operationId: 'updateClient',
  method: 'patch',
  path: '/clients/{client_id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Change a client',
  description:
    'Absent fields keep their value; a list given replaces the list; null clears an optional URI. Its type, kind and PKCE rule stay as registered. ' +
    'Keys given to a client with a secret replace the secret (private_key_jwt).',
  params: clientParams,
  body: patchOf(clientSettingsShape),
  response: clientSchema,
  status: 200,
  ifMatch: 'client_id',
  etag: true,
  async handler({ deps, manage, caller, params, body, expectedVersion }) {
    const current = await findClient(manage, params.client_id);
    if (body.jwks !== undefined || body.jwks_uri !== undefined) requireHeld(caller, await heldByClient(deps.store, current.clientId), 'changing the keys of a client granted the management API');
    const { client } = await asApiFields(updateClient(manage, current.clientId, clientSettings(body, current), { expectedVersion: expectedVersion() }));
    return { body: clientJson(client), etag: etagOf(client) };
  },
});

const deleteClientOperation = defineOperation({
  operationId: 'deleteClient',
  method: 'delete',
  path: '/clients/{client_id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Delete a client',
  description: 'Its grants, codes and tokens go with it.',
  params: clientParams,
  status: 204,
  ifMatch: 'client_id',
  async handler({ manage, params, expectedVersion }) {
    await deleteClient(manage, params.client_id, { expectedVersion: expectedVersion() });
    return {};
  },
});

const rotateSecret = defineOperation({
  operationId: 'rotateClientSecret',
  method: 'post',
  path: '/clients/{client_id}/secret',
  scope: SCOPE,
  tag: TAG,
  summary: 'Give a client a new secret',
  description: 'The old secret stops working at once. The new one is in this answer only. Refused for a public client and for one that authenticates with its keys.',
  params: clientParams,
  response: clientWithSecretSchema,
  status: 200,
  etag: true,
  async handler({ deps, manage, caller, params }) {
    const current = await findClient(manage, params.client_id);
    requireHeld(caller, await heldByClient(deps.store, current.clientId), 'a new secret for a client granted the management API');
    const { client, clientSecret } = await rotateClientSecret(manage, current.clientId);
    return { body: { ...clientJson(client), client_secret: clientSecret }, etag: etagOf(client) };
  },
});

const getClientApis = defineOperation({
  operationId: 'getClientApis',
  method: 'get',
  path: '/clients/{client_id}/apis',
  scope: SCOPE,
  tag: TAG,
  summary: 'The APIs a client may request tokens for, or introspect',
  params: clientParams,
  response: clientApisSchema,
  status: 200,
  async handler({ deps, params }) {
    return { body: clientApisJson(await clientApis(deps.store, params.client_id)) };
  },
});

const setClientApisOperation = defineOperation({
  operationId: 'setClientApis',
  method: 'put',
  path: '/clients/{client_id}/apis',
  scope: SCOPE,
  tag: TAG,
  summary: 'Replace what a client may do with the APIs',
  description:
    'The next token request follows the new grants; tokens already issued keep their scopes until they expire, except the management API’s, which it checks at every call. ' +
    'Granting the management API needs a token holding the scopes granted.',
  params: clientParams,
  body: clientApisInput,
  response: clientApisSchema,
  status: 200,
  async handler({ deps, manage, caller, params, body }) {
    const settings = clientApiSettings(body);
    // Only what is added needs covering: a caller may keep, or withdraw, grants it could not give.
    const held = await heldByClient(deps.store, (await findClient(manage, params.client_id)).clientId);
    const added = (await plannedManagementScopes(deps.store, settings)).filter((scope) => !held.includes(scope));
    requireHeld(caller, added, 'granting the management API');
    return { body: clientApisJson(await setClientApis(manage, params.client_id, settings)) };
  },
});

export const clientOperations: readonly ApiOperation[] = [
  listClients,
  createClientOperation,
  getClient,
  updateClientOperation,
  deleteClientOperation,
  rotateSecret,
  getClientApis,
  setClientApisOperation,
];
