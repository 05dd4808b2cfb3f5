// The management API's APIs (issue 26, src/api/apis.ts), end to end over HTTP with a machine client's access token
// (client_credentials for the built-in management API, openid-client as the client), every answer checked against the
// OpenAPI document: the manage rules of src/manage/apis.ts with ETag/If-Match, and the built-in management API, which
// keeps its name, identifier, scopes and audience and is never deleted.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureManagementApi } from '../../src/manage/management-api.js';
import type { ApiRecord } from '../../src/store/records.js';
import { ManagementApi } from '../helpers/openapi.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addMachine, machineConfig } from './client-credentials-helpers.js';
import { requestGrant } from './resource-helpers.js';

let app: RunningApp;
let api: ManagementApi;
let builtIn: ApiRecord;
let clientId: string;
let token: string;

interface ApiBody {
  id: string;
  name: string;
  identifier: string;
  scopes: { name: string; description: string }[];
  token_lifetime: number | null;
  built_in: boolean;
}

beforeAll(async () => {
  app = await startApp();
  api = await ManagementApi.open(app.url);
  builtIn = await ensureManagementApi(app.store, app.config, app.clock);
  const machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(builtIn, ['manage:apis'])] });
  clientId = machine.clientId;
  const config = await machineConfig(app, clientId, oidc.ClientSecretBasic(machine.secret ?? ''));
  token = (await oidc.clientCredentialsGrant(config, { resource: builtIn.identifier, scope: 'manage:apis' })).access_token;
});

afterAll(async () => {
  await app?.stop();
});

async function create(body: Record<string, unknown>) {
  const answer = await api.call('POST', '/apis', { token, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { created: answer.body as ApiBody, etag: answer.headers.get('etag') ?? '' };
}

describe('management API APIs with a machine client’s token', () => {
  it('creates an API (201, Location, ETag), reads it back, and lists it beside the built-in management API', async () => {
    const { created, etag } = await create({ name: 'Orders', identifier: 'https://orders.example/api', scopes: [{ name: 'orders:read', description: 'Read orders' }, { name: 'orders:write' }] });
    expect(created).toMatchObject({
      scopes: [
        { name: 'orders:read', description: 'Read orders' },
        { name: 'orders:write', description: '' },
      ],
      token_lifetime: null,
      token_format: 'jwt',
      accepts: 'both',
      built_in: false,
    });
    const read = await api.call('GET', `/apis/${created.id}`, { token });
    expect(read.body).toEqual(created);
    expect(read.headers.get('etag')).toBe(etag);
    const list = (await api.call('GET', '/apis', { token })).body as { items: ApiBody[] };
    expect(list.items.map((item) => [item.name, item.built_in])).toEqual([
      ['Gatehouse management API', true],
      ['Orders', false],
    ]);
    const [event] = (await app.store.audit.list({ filter: { type: 'api.request' }, limit: 10 })).filter((candidate) => candidate.details.operation === 'createApi');
    expect(event).toMatchObject({ actor: clientId, clientId, details: { token_kind: 'client', status: 201 } });
  });

  it('changes an API with the ETag it read (scopes replaced whole), refuses a stale one, and deletes with the current one', async () => {
    const { created, etag } = await create({ name: 'Billing', identifier: 'https://billing.example/api', scopes: [{ name: 'billing:read' }] });
    const changed = await api.call('PATCH', `/apis/${created.id}`, { token, body: { scopes: [{ name: 'billing:write' }], token_lifetime: 600 }, headers: { 'if-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'Billing', scopes: [{ name: 'billing:write', description: '' }], token_lifetime: 600 });
    const stale = await api.call('PATCH', `/apis/${created.id}`, { token, body: { name: 'Lost update' }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect((await api.call('DELETE', `/apis/${created.id}`, { token, headers: { 'if-match': etag } })).status).toBe(412);
    expect(await app.store.apis.findById(created.id)).toMatchObject({ name: 'Billing', version: 2 });
    expect((await api.call('DELETE', `/apis/${created.id}`, { token, headers: { 'if-match': changed.headers.get('etag') ?? '' } })).status).toBe(204);
    expect((await api.call('GET', `/apis/${created.id}`, { token })).status).toBe(404);
  });

  it('refuses what the API rules refuse (400 with the field, 409 for a taken identifier), writing nothing', async () => {
    const count = await app.store.apis.count();
    const own = await api.call('POST', '/apis', { token, body: { name: 'Mine', identifier: `${app.config.issuer}/userinfo`, scopes: [{ name: 'x' }] } });
    expect(own.status).toBe(400);
    expect(own.body).toMatchObject({ errors: [{ field: 'identifier' }] });
    const reserved = await api.call('POST', '/apis', { token, body: { name: 'OIDC', identifier: 'https://oidc.example/api', scopes: [{ name: 'openid' }] } });
    expect(reserved.body).toMatchObject({ status: 400, errors: [{ field: 'scopes' }] });
    const lifetime = await api.call('POST', '/apis', { token, body: { name: 'Short', identifier: 'https://short.example/api', scopes: [{ name: 'x' }], token_lifetime: 5 } });
    expect(lifetime.body).toMatchObject({ status: 400, errors: [{ field: 'token_lifetime' }] });
    const taken = await api.call('POST', '/apis', { token, body: { name: 'Again', identifier: builtIn.identifier, scopes: [{ name: 'x' }] } });
    expect(taken.status).toBe(400);
    await create({ name: 'Once', identifier: 'https://once.example/api', scopes: [{ name: 'x' }] });
    const twice = await api.call('POST', '/apis', { token, body: { name: 'Twice', identifier: 'https://once.example/api', scopes: [{ name: 'x' }] } });
    expect(twice.status).toBe(409);
    expect(await app.store.apis.count()).toBe(count + 1);
  });
});

describe('the built-in management API', () => {
  it('keeps its name, identifier, scopes and audience (409) and is never deleted, while its token lifetime may change', async () => {
    const read = await api.call('GET', `/apis/${builtIn.id}`, { token });
    expect(read.body).toMatchObject({ identifier: builtIn.identifier, built_in: true, accepts: 'machines' });
    const etag = read.headers.get('etag') ?? '';
    for (const body of [{ name: 'Renamed' }, { identifier: 'https://elsewhere.example/api' }, { scopes: [{ name: 'manage:everything' }] }, { accepts: 'both' }]) {
      const answer = await api.call('PATCH', `/apis/${builtIn.id}`, { token, body, headers: { 'if-match': etag } });
      expect(answer.status, JSON.stringify(body)).toBe(409);
      expect(answer.body).toMatchObject({ type: 'urn:gatehouse:problem:conflict' });
    }
    expect((await api.call('DELETE', `/apis/${builtIn.id}`, { token, headers: { 'if-match': etag } })).status).toBe(409);
    expect(await app.store.apis.findById(builtIn.id)).toMatchObject({ version: builtIn.version, name: builtIn.name, scopes: builtIn.scopes });
    const lifetime = await api.call('PATCH', `/apis/${builtIn.id}`, { token, body: { token_lifetime: 300 }, headers: { 'if-match': etag } });
    expect(lifetime.status).toBe(200);
    expect(lifetime.body).toMatchObject({ token_lifetime: 300, built_in: true });
  });
});
