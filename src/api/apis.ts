// /api/v1/apis: the APIs (resource servers, RFC 8707) tokens may be minted for (scope manage:apis), on the rules of
// src/manage/apis.ts that `idp api` and the admin screens use. Paths name an API by its id (an identifier is a URI,
// which does not fit in a path segment; the list shows both). The management API itself is listed, marked
// `built_in`: its name, identifier, scopes and audience are Gatehouse's (409), and it is never deleted; its token
// lifetime and format may change.
import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import { createApi, deleteApi, updateApi, type ApiInput } from '../manage/apis.js';
import type { ApiRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { defineOperation, type ApiOperation } from './operation.js';
import { pageOf, pageQuery, readPage } from './paging.js';
import { iso, patchOf, resourceId, timestamp } from './schemas.js';

const TAG = 'apis';
const SCOPE = 'manage:apis';

const scopeSchema = z.strictObject({ name: z.string(), description: z.string() });

export const apiSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    identifier: z.string().describe('The `aud` of the access tokens minted for it: an absolute https URI (http on a loopback host).'),
    scopes: z.array(scopeSchema),
    token_lifetime: z.number().int().nullable().describe("Seconds (60 to 86400); null: the server's ACCESS_TOKEN_TTL."),
    token_format: z.enum(['jwt', 'opaque']),
    accepts: z.enum(['people', 'machines', 'both']).describe('Whose tokens it takes: people’s (authorization code, device), machines’ (client credentials), or both.'),
    built_in: z.boolean().describe('Gatehouse’s own management API: its name, identifier, scopes and audience are fixed, and it is never deleted.'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ title: 'Api' });

export function apiJson(api: ApiRecord): z.input<typeof apiSchema> {
  return {
    id: api.id,
    name: api.name,
    identifier: api.identifier,
    scopes: api.scopes.map((scope) => ({ name: scope.name, description: scope.description })),
    token_lifetime: api.tokenLifetime,
    token_format: api.tokenFormat,
    accepts: api.accepts,
    built_in: api.builtIn,
    created_at: iso(api.createdAt),
    updated_at: iso(api.updatedAt),
  };
}

const apiParams = z.strictObject({ id: resourceId });

const settingsShape = {
  name: z.string().max(200),
  identifier: z.string().max(512),
  scopes: z
    .array(z.strictObject({ name: z.string().max(100), description: z.string().max(300).optional() }))
    .max(100)
    .describe('1 to 100 scopes, names unique; replaced whole by an update.'),
  token_lifetime: z.number().int().nullable(),
  token_format: z.enum(['jwt', 'opaque']),
  accepts: z.enum(['people', 'machines', 'both']),
};

type SettingsBody = Partial<{ [K in keyof typeof settingsShape]: z.output<(typeof settingsShape)[K]> }>;

function apiInput(body: SettingsBody): Partial<ApiInput> {
  const input: Partial<ApiInput> = {};
  if (body.name !== undefined) input.name = body.name;
  if (body.identifier !== undefined) input.identifier = body.identifier;
  if (body.scopes !== undefined) input.scopes = body.scopes.map((scope) => ({ name: scope.name, description: scope.description ?? '' }));
  if (body.token_lifetime !== undefined) input.tokenLifetime = body.token_lifetime;
  if (body.token_format !== undefined) input.tokenFormat = body.token_format;
  if (body.accepts !== undefined) input.accepts = body.accepts;
  return input;
}

/** By id only: the path is the resource its ETag is bound to. */
async function apiById(store: Store, id: string): Promise<ApiRecord> {
  const api = await store.apis.findById(id);
  if (!api) throw new NotFoundError(`no API ${JSON.stringify(id)}`);
  return api;
}

const listApis = defineOperation({
  operationId: 'listApis',
  method: 'get',
  path: '/apis',
  scope: SCOPE,
  tag: TAG,
  summary: 'List APIs in name order',
  query: pageQuery,
  response: pageOf(apiSchema),
  status: 200,
  paged: true,
  async handler({ deps, query }) {
    const page = await readPage(query, (options) => deps.store.apis.list(options));
    return { body: { items: page.items.map(apiJson), next_cursor: page.next }, nextCursor: page.next };
  },
});

const createApiOperation = defineOperation({
  operationId: 'createApi',
  method: 'post',
  path: '/apis',
  scope: SCOPE,
  tag: TAG,
  summary: 'Create an API',
  description: 'Its identifier is never this server’s own address. token_format defaults to jwt, accepts to both.',
  body: z.strictObject(settingsShape).partial().extend({ name: settingsShape.name, identifier: settingsShape.identifier, scopes: settingsShape.scopes }),
  response: apiSchema,
  status: 201,
  etag: true,
  async handler({ manage, body }) {
    const api = await createApi(manage, { name: body.name, identifier: body.identifier, scopes: [], ...apiInput(body) });
    return { body: apiJson(api), etag: api, location: `/apis/${api.id}` };
  },
});

const getApi = defineOperation({
  operationId: 'getApi',
  method: 'get',
  path: '/apis/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Read an API',
  params: apiParams,
  response: apiSchema,
  status: 200,
  etag: true,
  async handler({ deps, params }) {
    const api = await apiById(deps.store, params.id);
    return { body: apiJson(api), etag: api };
  },
});

const updateApiOperation = defineOperation({
  operationId: 'updateApi',
  method: 'patch',
  path: '/apis/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Change an API',
  description:
    'Absent fields keep their value; `scopes` replaces the list; `token_lifetime: null` returns to ACCESS_TOKEN_TTL. Tokens already minted keep their audience and scopes until they expire. ' +
    'The built-in management API refuses a change of name, identifier, scopes or audience (409).',
  params: apiParams,
  body: patchOf(settingsShape),
  response: apiSchema,
  status: 200,
  ifMatch: 'id',
  etag: true,
  async handler({ deps, manage, params, body, expectedVersion }) {
    const current = await apiById(deps.store, params.id);
    const { api } = await updateApi(manage, current.id, apiInput(body), { expectedVersion: expectedVersion() });
    return { body: apiJson(api), etag: api };
  },
});

const deleteApiOperation = defineOperation({
  operationId: 'deleteApi',
  method: 'delete',
  path: '/apis/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Delete an API',
  description: 'Every client grant naming it goes with it; tokens already minted stay valid until they expire. The built-in management API is never deleted (409).',
  params: apiParams,
  status: 204,
  ifMatch: 'id',
  async handler({ deps, manage, params, expectedVersion }) {
    const current = await apiById(deps.store, params.id);
    await deleteApi(manage, current.id, { expectedVersion: expectedVersion() });
    return {};
  },
});

export const apisOperations: readonly ApiOperation[] = [listApis, createApiOperation, getApi, updateApiOperation, deleteApiOperation];
