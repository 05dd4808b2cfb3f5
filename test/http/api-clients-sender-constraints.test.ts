// The management API's clients and issue 28's two rules (src/api/client-schemas.ts): require_pushed_authorization_requests
// (RFC 9126 §6) and dpop_bound_access_tokens (RFC 9449 §5.2), over HTTP with a personal token, every answer checked
// against the OpenAPI document (which must describe both fields). Created, read, changed with PATCH (absent kept),
// and refused, writing nothing, when not a boolean or when PAR is asked of a machine client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementApi } from '../helpers/openapi.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { personalToken } from './api-helpers.js';

const PAR = 'require_pushed_authorization_requests';
const DPOP = 'dpop_bound_access_tokens';

let app: RunningApp;
let api: ManagementApi;
let token: string;

interface ClientBody {
  client_id: string;
  [field: string]: unknown;
}

beforeAll(async () => {
  app = await startApp();
  api = await ManagementApi.open(app.url);
  ({ token } = await personalToken(app));
});

afterAll(async () => {
  await app?.stop();
});

async function create(body: Record<string, unknown>) {
  const answer = await api.call('POST', '/clients', { token, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { client: answer.body as ClientBody, etag: answer.headers.get('etag') ?? '' };
}

const errorFields = (body: unknown) => (body as { errors: { field: string }[] }).errors.map((error) => error.field);

describe('management API clients: PAR and DPoP rules (issue 28)', () => {
  it('describes both fields in the OpenAPI document, on the client and on what create and PATCH take', async () => {
    const document: unknown = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
    // Every schema in the document that names the field, wherever the generator put it (inline or in components).
    const described = (field: string): unknown[] => {
      const found: unknown[] = [];
      const visit = (node: unknown, depth: number): void => {
        if (depth > 64 || typeof node !== 'object' || node === null) return;
        const properties = (node as { properties?: Record<string, unknown> }).properties;
        if (properties && Object.hasOwn(properties, field)) found.push(properties[field]);
        for (const value of Object.values(node)) visit(value, depth + 1);
      };
      visit(document, 0);
      return found;
    };
    for (const field of [PAR, DPOP]) {
      const schemas = described(field);
      // The client (read, list, create's answer) and the bodies of create and PATCH.
      expect(schemas.length, field).toBeGreaterThanOrEqual(3);
      for (const schema of schemas) expect(schema, field).toMatchObject({ type: 'boolean' });
    }
  });

  it('creates a client with neither rule by default, and one with both, shown as stored', async () => {
    const { client: plain } = await create({ client_name: 'Plain', redirect_uris: ['https://plain.example/cb'] });
    expect(plain).toMatchObject({ [PAR]: false, [DPOP]: false });
    const { client } = await create({ client_name: 'Bank app', client_type: 'public', redirect_uris: ['https://bank.example/cb'], [PAR]: true, [DPOP]: true });
    expect(client).toMatchObject({ client_type: 'public', [PAR]: true, [DPOP]: true });
    expect(await app.store.clients.findById(client.client_id)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    expect((await api.call('GET', `/clients/${client.client_id}`, { token })).body).toMatchObject({ [PAR]: true, [DPOP]: true });
    const [event] = await app.store.audit.list({ filter: { type: 'client.created' }, limit: 1 });
    expect(event).toMatchObject({ subject: client.client_id, details: { [PAR]: true, [DPOP]: true } });
  });

  it('changes each rule with PATCH and the ETag it read, absent keeping the other, audited', async () => {
    const { client, etag } = await create({ client_name: 'Patched', redirect_uris: ['https://patched.example/cb'] });
    const on = await api.call('PATCH', `/clients/${client.client_id}`, { token, body: { [PAR]: true, [DPOP]: true }, headers: { 'if-match': etag } });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body).toMatchObject({ [PAR]: true, [DPOP]: true, redirect_uris: ['https://patched.example/cb'] });
    const off = await api.call('PATCH', `/clients/${client.client_id}`, { token, body: { [DPOP]: false }, headers: { 'if-match': on.headers.get('etag') ?? '' } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ [PAR]: true, [DPOP]: false });
    expect(await app.store.clients.findById(client.client_id)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: false, version: 3 });
    const [event] = await app.store.audit.list({ filter: { type: 'client.updated' }, limit: 1 });
    expect(event).toMatchObject({ subject: client.client_id, details: { changed: [DPOP] } });
  });

  it('refuses a rule that is not a boolean, and PAR for a machine client, with the field at fault, writing nothing', async () => {
    const count = await app.store.clients.count();
    const cases: [Record<string, unknown>, string][] = [
      [{ client_name: 'Text', redirect_uris: ['https://text.example/cb'], [PAR]: 'true' }, PAR],
      [{ client_name: 'Number', redirect_uris: ['https://number.example/cb'], [DPOP]: 1 }, DPOP],
      [{ client_name: 'Null', redirect_uris: ['https://null.example/cb'], [DPOP]: null }, DPOP],
      [{ client_name: 'Job', machine: true, [PAR]: true }, PAR],
    ];
    for (const [body, field] of cases) {
      const answer = await api.call('POST', '/clients', { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorFields(answer.body), JSON.stringify(answer.body)).toContain(field);
    }
    expect(await app.store.clients.count()).toBe(count);

    const { client, etag } = await create({ client_name: 'Worker', machine: true });
    const refused = await api.call('PATCH', `/clients/${client.client_id}`, { token, body: { [PAR]: true }, headers: { 'if-match': etag } });
    expect(refused.status).toBe(400);
    expect(errorFields(refused.body)).toContain(PAR);
    expect(await app.store.clients.findById(client.client_id)).toMatchObject({ requirePushedAuthorizationRequests: false, version: 1 });
  });
});
