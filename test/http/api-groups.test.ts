// The management API's groups and their members (issue 26), end to end over HTTP with a machine client's access
// token (client_credentials for the built-in management API, RFC 6749 §4.4 with RFC 8707 resource, openid-client as
// the client): every answer checked against the OpenAPI document (test/helpers/openapi.ts).
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managementApiIdentifier } from '../../src/manage/management-api.js';
import type { ManageScope } from '../../src/store/records.js';
import { ManagementApi } from '../helpers/openapi.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { operatorContext } from './api-helpers.js';
import { addMachine, machineConfig } from './client-credentials-helpers.js';
import { requestGrant } from './resource-helpers.js';
import { createUser } from '../../src/manage/users.js';

let app: RunningApp;
let api: ManagementApi;
let clientId: string;
let token: string;

/** A machine client granted these management scopes, and an access token it got for the management API. */
async function machineToken(scopes: ManageScope[]): Promise<{ clientId: string; token: string }> {
  const builtIn = await app.store.apis.findByIdentifier(managementApiIdentifier(app.config));
  if (!builtIn) throw new Error('the built-in management API is missing');
  const machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(builtIn, scopes)] });
  const config = await machineConfig(app, machine.clientId, oidc.ClientSecretBasic(machine.secret ?? ''));
  const tokens = await oidc.clientCredentialsGrant(config, { resource: builtIn.identifier, scope: scopes.join(' ') });
  return { clientId: machine.clientId, token: tokens.access_token };
}

async function createGroup(name: string) {
  const answer = await api.call('POST', '/groups', { token, body: { name } });
  expect(answer.status).toBe(201);
  return { id: (answer.body as { id: string }).id, etag: answer.headers.get('etag') ?? '' };
}

async function newPerson(email: string): Promise<string> {
  return (await createUser(operatorContext(app), { email, password: 'correct horse battery staple 42' })).id;
}

beforeAll(async () => {
  app = await startApp();
  api = await ManagementApi.open(app.url);
  ({ clientId, token } = await machineToken(['manage:groups']));
});

afterAll(async () => {
  await app?.stop();
});

describe('management API groups with a machine client’s token', () => {
  it('creates, reads and lists groups, and audits each call as the client with its token’s jti', async () => {
    const created = await api.call('POST', '/groups', { token, body: { name: 'Staff.Admins', description: 'The admins', require_mfa: true } });
    expect(created.status).toBe(201);
    const group = created.body as { id: string };
    expect(group).toMatchObject({ name: 'Staff.Admins', description: 'The admins', require_mfa: true, member_count: 0 });
    expect(created.headers.get('location')).toBe(`${app.url}/api/v1/groups/${group.id}`);
    const read = await api.call('GET', `/groups/${group.id}`, { token });
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
    const listed = await api.call('GET', '/groups?search=staff', { token });
    expect((listed.body as { items: unknown[] }).items).toEqual([created.body]);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'api.request' } });
    expect(event).toMatchObject({ actor: clientId, clientId, outcome: 'success', details: { operation: 'listGroups', status: 200, token_kind: 'client', token_id: decodeJwt(token).jti } });
    expect((await app.store.audit.list({ limit: 10, filter: { type: 'group.created' } }))[0]).toMatchObject({ actor: clientId, subject: group.id });
  });

  it('renames a group and changes its description in one conditional write; a name another group has is refused (409)', async () => {
    const { id, etag } = await createGroup('engineering');
    await createGroup('Sales');
    const changed = await api.call('PATCH', `/groups/${id}`, { token, body: { name: 'Engineers', description: 'Builders' }, headers: { 'if-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'Engineers', description: 'Builders' });
    expect(changed.headers.get('etag')).toMatch(/^"2-/);
    expect((await app.store.audit.list({ limit: 1, filter: { type: 'group.renamed' } }))[0]).toMatchObject({ subject: id, details: { from: 'engineering', to: 'Engineers' } });
    const taken = await api.call('PATCH', `/groups/${id}`, { token, body: { name: 'SALES' }, headers: { 'if-match': changed.headers.get('etag') ?? '' } });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ type: 'urn:gatehouse:problem:conflict' });
    const stale = await api.call('PATCH', `/groups/${id}`, { token, body: { description: 'Late' }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(await app.store.groups.findById(id)).toMatchObject({ name: 'Engineers', description: 'Builders', version: 2 });
  });

  it('puts people in a group and takes them out without touching its ETag; lists the members a page at a time', async () => {
    const { id, etag } = await createGroup('members');
    const ann = await newPerson('ann@example.com');
    const bob = await newPerson('bob@example.com');
    for (const user of [ann, bob, ann]) expect((await api.call('PUT', `/groups/${id}/members/${user}`, { token })).status).toBe(204);
    const first = await api.call('GET', `/groups/${id}/members?limit=1`, { token });
    expect(first.body).toMatchObject({ items: [{ id: ann, email: 'ann@example.com', disabled: false }] });
    expect(first.headers.get('link')).toContain('rel="next"');
    const read = await api.call('GET', `/groups/${id}`, { token });
    expect(read.body).toMatchObject({ member_count: 2 });
    expect(read.headers.get('etag')).toBe(etag);
    expect((await api.call('DELETE', `/groups/${id}/members/${bob}`, { token })).status).toBe(204);
    const again = await api.call('DELETE', `/groups/${id}/members/${bob}`, { token });
    expect(again.status).toBe(404);
    expect((await api.call('PUT', `/groups/${id}/members/no-such-user`, { token })).status).toBe(404);
    expect((await api.call('PUT', `/groups/no-such-group/members/${ann}`, { token })).status).toBe(404);
    expect(await app.store.groups.countMembers(id)).toBe(1);
  });

  it('deletes a group only with its current ETag', async () => {
    const { id, etag } = await createGroup('short-lived');
    const renamed = await api.call('PATCH', `/groups/${id}`, { token, body: { description: 'changed' }, headers: { 'if-match': etag } });
    expect((await api.call('DELETE', `/groups/${id}`, { token, headers: { 'if-match': etag } })).status).toBe(412);
    expect((await api.call('DELETE', `/groups/${id}`, { token })).status).toBe(428);
    expect(await app.store.groups.findById(id)).not.toBeNull();
    expect((await api.call('DELETE', `/groups/${id}`, { token, headers: { 'if-match': renamed.headers.get('etag') ?? '' } })).status).toBe(204);
    expect((await api.call('GET', `/groups/${id}`, { token })).status).toBe(404);
  });

  it('refuses a name the rules refuse (400, field name) and writes nothing', async () => {
    const answer = await api.call('POST', '/groups', { token, body: { name: 'has spaces' } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: 'urn:gatehouse:problem:validation', errors: [{ field: 'name' }] });
    expect(await app.store.groups.findByName('has spaces')).toBeNull();
  });

  it('refuses a client token without manage:groups (403, naming the scope), and a users-only client reaches users', async () => {
    const usersOnly = await machineToken(['manage:users']);
    const refused = await api.call('POST', '/groups', { token: usersOnly.token, body: { name: 'not-made' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="manage:groups"');
    expect(await app.store.groups.findByName('not-made')).toBeNull();
    expect((await api.call('GET', '/users', { token: usersOnly.token })).status).toBe(200);
  });
});
