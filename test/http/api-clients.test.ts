// The management API's clients (issue 26, src/api/clients.ts), end to end over HTTP with personal tokens, every
// answer checked against the OpenAPI document: the secret shown once and working at the token endpoint (openid-client),
// ETag/If-Match on changes (one winner of a race), the manage rules' refusals writing nothing, the API grants as a
// sub-resource, and no way for a manage:clients token to hand out (or take over) management scopes it does not hold.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId } from '../../src/auth/secrets.js';
import { managementApiIdentifier } from '../../src/manage/management-api.js';
import type { ApiRecord } from '../../src/store/records.js';
import { ManagementApi } from '../helpers/openapi.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { personalToken } from './api-helpers.js';
import { machineConfig } from './client-credentials-helpers.js';

const ORDERS = 'https://orders.example/api';

let app: RunningApp;
let api: ManagementApi;
let token: string;
let orders: ApiRecord;

interface ClientBody {
  client_id: string;
  client_secret?: string | null;
  client_name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  [field: string]: unknown;
}

async function create(body: Record<string, unknown>, as = token) {
  const answer = await api.call('POST', '/clients', { token: as, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { client: answer.body as ClientBody, etag: answer.headers.get('etag') ?? '' };
}

async function clientCredentials(clientId: string, secret: string): Promise<number> {
  const config = await machineConfig(app, clientId, oidc.ClientSecretBasic(secret));
  try {
    await oidc.clientCredentialsGrant(config, { resource: ORDERS, scope: 'orders:read' });
    return 200;
  } catch (error) {
    // A refusal: 400 as a body error, 401 (invalid_client) as a WWW-Authenticate challenge.
    if (error instanceof oidc.ResponseBodyError || error instanceof oidc.WWWAuthenticateChallengeError) return error.status;
    throw error;
  }
}

beforeAll(async () => {
  app = await startApp();
  api = await ManagementApi.open(app.url);
  ({ token } = await personalToken(app));
  orders = await app.store.apis.create(
    { id: randomId(), name: 'Orders', identifier: ORDERS, scopes: [{ name: 'orders:read', description: '' }], tokenLifetime: null, tokenFormat: 'jwt', accepts: 'both' },
    app.clock.now(),
  );
});

afterAll(async () => {
  await app?.stop();
});

describe('management API clients: register, read, list, change, delete', () => {
  it('registers a client, answering its secret once (stored as a hash), and reads it back without it', async () => {
    const { client, etag } = await create({ client_name: 'Shop', redirect_uris: ['https://shop.example/callback'], post_logout_redirect_uris: ['https://shop.example/'] });
    expect(client).toMatchObject({
      client_name: 'Shop',
      client_type: 'confidential',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      origin: 'admin',
    });
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(etag).toMatch(/^"1-[A-Za-z0-9_-]{12}"$/);
    expect((await app.store.clients.findById(client.client_id))?.secretHash).toBe(hashSecret(client.client_secret ?? ''));
    const read = await api.call('GET', `/clients/${client.client_id}`, { token });
    const { client_secret: _secret, ...shown } = client;
    expect(read.body).toEqual(shown);
    expect(read.headers.get('etag')).toBe(etag);
    const [event] = await app.store.audit.list({ filter: { type: 'client.created' }, limit: 1 });
    expect(event).toMatchObject({ actor: 'cli', subject: client.client_id });
  });

  it('registers a machine client granted an API whose secret works at the token endpoint; a new secret replaces it at once', async () => {
    const { client } = await create({ client_name: 'Worker', machine: true, apis: [{ identifier: ORDERS, scopes: ['orders:read'] }] });
    expect(client).toMatchObject({ grant_types: ['client_credentials'], redirect_uris: [] });
    expect(await clientCredentials(client.client_id, client.client_secret ?? '')).toBe(200);
    expect((await api.call('GET', `/clients/${client.client_id}/apis`, { token })).body).toEqual({ apis: [{ identifier: ORDERS, name: 'Orders', scopes: ['orders:read'] }], introspect_apis: [] });
    const rotated = await api.call('POST', `/clients/${client.client_id}/secret`, { token });
    expect(rotated.status).toBe(200);
    const secret = (rotated.body as ClientBody).client_secret ?? '';
    expect(secret).not.toBe(client.client_secret);
    expect(await clientCredentials(client.client_id, client.client_secret ?? '')).toBe(401);
    expect(await clientCredentials(client.client_id, secret)).toBe(200);
    const withdrawn = await api.call('PUT', `/clients/${client.client_id}/apis`, { token, body: { apis: [], introspect_apis: [] } });
    expect(withdrawn.body).toEqual({ apis: [], introspect_apis: [] });
    expect(await clientCredentials(client.client_id, secret)).toBe(400);
  });

  it('lists clients a page at a time', async () => {
    await create({ client_name: 'zz-list-1', redirect_uris: ['https://one.example/cb'] });
    await create({ client_name: 'zz-list-2', redirect_uris: ['https://two.example/cb'] });
    const names: string[] = [];
    let path: string | null = '/clients?limit=2';
    for (let page = 0; path !== null && page < 20; page++) {
      const answer = await api.call('GET', path, { token });
      const body = answer.body as { items: ClientBody[]; next_cursor: string | null };
      names.push(...body.items.map((item) => item.client_name));
      path = body.next_cursor === null ? null : `/clients?limit=2&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(names.slice(-2)).toEqual(['zz-list-1', 'zz-list-2']);
    expect(names.length).toBeGreaterThan(2);
  });

  it('changes what is given with the ETag it read, keeping the rest; deletes with the current ETag only', async () => {
    const { client, etag } = await create({ client_name: 'Editable', redirect_uris: ['https://edit.example/cb'], post_logout_redirect_uris: ['https://edit.example/'] });
    const changed = await api.call('PATCH', `/clients/${client.client_id}`, { token, body: { client_name: 'Edited', require_mfa: true }, headers: { 'if-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ client_name: 'Edited', require_mfa: true, redirect_uris: ['https://edit.example/cb'], post_logout_redirect_uris: ['https://edit.example/'] });
    const newEtag = changed.headers.get('etag') ?? '';
    expect(newEtag).toMatch(/^"2-/);
    expect((await api.call('DELETE', `/clients/${client.client_id}`, { token })).status).toBe(428);
    expect((await api.call('DELETE', `/clients/${client.client_id}`, { token, headers: { 'if-match': etag } })).status).toBe(412);
    expect((await api.call('DELETE', `/clients/${client.client_id}`, { token, headers: { 'if-match': newEtag } })).status).toBe(204);
    expect((await api.call('GET', `/clients/${client.client_id}`, { token })).status).toBe(404);
  });

  it('lets exactly one of two changes made with the same ETag win (412 for the other)', async () => {
    const { client, etag } = await create({ client_name: 'Raced', redirect_uris: ['https://race.example/cb'] });
    const answers = await Promise.all(['First', 'Second'].map((name) => api.call('PATCH', `/clients/${client.client_id}`, { token, body: { client_name: name }, headers: { 'if-match': etag } })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
    const winner = answers.find((answer) => answer.status === 200)?.body as ClientBody;
    expect((await app.store.clients.findById(client.client_id))?.name).toBe(winner.client_name);
    expect((await app.store.audit.list({ filter: { type: 'client.updated' }, limit: 50 })).filter((event) => event.subject === client.client_id)).toHaveLength(1);
  });
});

describe('management API clients: refusals write nothing', () => {
  it('refuses what the registration rules refuse, and unknown fields, with the field at fault', async () => {
    const count = await app.store.clients.count();
    const cases: [Record<string, unknown>, string][] = [
      [{ client_name: 'Plain http', redirect_uris: ['http://shop.example/cb'] }, 'redirect_uris'],
      [{ client_name: '', redirect_uris: ['https://shop.example/cb'] }, 'client_name'],
      [{ client_name: 'Typo', redirect_uri: ['https://shop.example/cb'] }, 'body'],
      [{ client_name: 'Public', client_type: 'public', pkce_required: false, redirect_uris: ['https://shop.example/cb'] }, 'pkce_required'],
    ];
    for (const [body, field] of cases) {
      const answer = await api.call('POST', '/clients', { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(
        (answer.body as { errors: { field: string }[] }).errors.map((error) => error.field),
        JSON.stringify(answer.body),
      ).toContain(field);
    }
    const unknownApi = await api.call('POST', '/clients', { token, body: { client_name: 'No API', machine: true, apis: [{ identifier: 'https://nowhere.example' }] } });
    expect(unknownApi.status).toBe(404);
    expect(await app.store.clients.count()).toBe(count);
  });

  it('refuses a new secret for a public client', async () => {
    const { client } = await create({ client_name: 'Spa', client_type: 'public', redirect_uris: ['https://spa.example/cb'] });
    expect(client.client_secret).toBeNull();
    const answer = await api.call('POST', `/clients/${client.client_id}/secret`, { token });
    expect(answer.status).toBe(400);
    expect((await app.store.clients.findById(client.client_id))?.version).toBe(1);
  });

  it('lets a manage:clients token give or take over management scopes only within its own', async () => {
    const management = managementApiIdentifier(app.config);
    const clientsOnly = (await personalToken(app, { scopes: ['manage:clients'] })).token;
    const count = await app.store.clients.count();
    const escalation = await api.call('POST', '/clients', { token: clientsOnly, body: { client_name: 'Escalator', machine: true, apis: [{ identifier: management }] } });
    expect(escalation.status).toBe(403);
    expect(escalation.body).toMatchObject({ type: 'urn:gatehouse:problem:insufficient-scope', scope: 'manage:users' });
    expect(await app.store.clients.count()).toBe(count);
    const withinOwn = await create({ client_name: 'Within', machine: true, apis: [{ identifier: management, scopes: ['manage:clients'] }] }, clientsOnly);

    const { client: powerful, etag } = await create({ client_name: 'Powerful', machine: true, apis: [{ identifier: management, scopes: ['manage:users'] }] });
    const secretHash = (await app.store.clients.findById(powerful.client_id))?.secretHash;
    expect((await api.call('POST', `/clients/${powerful.client_id}/secret`, { token: clientsOnly })).status).toBe(403);
    const keys = { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] };
    expect((await api.call('PATCH', `/clients/${powerful.client_id}`, { token: clientsOnly, body: { jwks: keys }, headers: { 'if-match': etag } })).status).toBe(403);
    const grant = await api.call('PUT', `/clients/${withinOwn.client.client_id}/apis`, { token: clientsOnly, body: { apis: [{ identifier: management }], introspect_apis: [] } });
    expect(grant.status).toBe(403);
    expect(await app.store.clients.findById(powerful.client_id)).toMatchObject({ secretHash, jwks: null, version: 1 });
    expect(await app.store.apis.accessOf(withinOwn.client.client_id)).toMatchObject([{ scopes: ['manage:clients'] }]);
    // What it already holds may stay as it is, and a rename takes no management scope.
    const kept = await api.call('PUT', `/clients/${powerful.client_id}/apis`, {
      token: clientsOnly,
      body: { apis: [{ identifier: management, scopes: ['manage:users'] }, { identifier: orders.identifier }], introspect_apis: [] },
    });
    expect(kept.status).toBe(200);
    expect((await api.call('PATCH', `/clients/${powerful.client_id}`, { token: clientsOnly, body: { client_name: 'Renamed' }, headers: { 'if-match': etag } })).status).toBe(200);
  });
});
