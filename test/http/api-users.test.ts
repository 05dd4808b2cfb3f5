// The management API's users (issue 26), end to end over HTTP with personal tokens: every answer checked against
// the OpenAPI document (test/helpers/openapi.ts); ETag/If-Match (RFC 9110 §13.1.1, RFC 6585 §3); problems
// (RFC 9457); bearer challenges (RFC 6750 §3); and the audit of every authenticated call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementApi } from '../helpers/openapi.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { expiredToken, personalToken, revokedToken } from './api-helpers.js';

const PASSWORD = 'correct horse battery staple 42';

let app: RunningApp;
let api: ManagementApi;
let token: string;
let tokenId: string;

beforeAll(async () => {
  app = await startApp();
  api = await ManagementApi.open(app.url);
  ({ token, id: tokenId } = await personalToken(app));
});

afterAll(async () => {
  await app?.stop();
});

async function createUser(email: string, extra: Record<string, unknown> = {}) {
  const answer = await api.call('POST', '/users', { token, body: { email, password: PASSWORD, ...extra } });
  expect(answer.status).toBe(201);
  return { id: (answer.body as { id: string }).id, etag: answer.headers.get('etag') ?? '' };
}

async function auditOf(type: string) {
  return app.store.audit.list({ filter: { type }, limit: 200 });
}

describe('management API users: create, read, list, change, delete', () => {
  it('creates a user (201, Location, ETag), reads it back with the same ETag, and never shows the password', async () => {
    const answer = await api.call('POST', '/users', { token, body: { email: 'Ada@Example.com', password: PASSWORD, name: 'Ada', is_admin: false } });
    expect(answer.status).toBe(201);
    const body = answer.body as Record<string, unknown>;
    expect(body).toMatchObject({ email: 'Ada@Example.com', name: 'Ada', is_admin: false, disabled: false, email_verified: false, has_password: true });
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    expect(answer.headers.get('location')).toBe(`${app.url}/api/v1/users/${String(body.id)}`);
    const etag = answer.headers.get('etag');
    expect(etag).toMatch(/^"1-[A-Za-z0-9_-]{12}"$/);
    const read = await api.call('GET', `/users/${String(body.id)}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(body);
    expect(read.headers.get('etag')).toBe(etag);
    expect(read.headers.get('cache-control')).toBe('no-store');
  });

  it('lists users a page at a time, with next_cursor and a Link to the next page, and searches', async () => {
    await createUser('list-b@example.com');
    await createUser('list-a@example.com');
    const first = await api.call('GET', '/users?search=list-&limit=1', { token });
    expect(first.status).toBe(200);
    const page = first.body as { items: { email: string }[]; next_cursor: string | null };
    expect(page.items.map((user) => user.email)).toEqual(['list-a@example.com']);
    expect(page.next_cursor).not.toBeNull();
    const link = first.headers.get('link') ?? '';
    const next = /^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? '';
    expect(new URL(next).searchParams.get('search')).toBe('list-');
    const second = await api.call('GET', next.slice(`${app.url}/api/v1`.length), { token });
    expect((second.body as typeof page).items.map((user) => user.email)).toEqual(['list-b@example.com']);
    expect((second.body as typeof page).next_cursor).toBeNull();
    expect(second.headers.get('link')).toBeNull();
  });

  it('changes a user with the ETag it read, answering the new one, and audits the call with the token’s id (never the token)', async () => {
    const { id, etag } = await createUser('change@example.com');
    const answer = await api.call('PATCH', `/users/${id}`, { token, body: { name: 'Changed', email_verified: true }, headers: { 'if-match': etag } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: 'Changed', email_verified: true });
    const newEtag = answer.headers.get('etag');
    expect(newEtag).toMatch(/^"2-/);
    expect(newEtag).not.toBe(etag);
    const events = (await auditOf('api.request')).filter((event) => event.details.operation === 'updateUser');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'cli', subject: id, outcome: 'success', details: { method: 'PATCH', status: 200, token_kind: 'admin_token', token_id: tokenId } });
    expect(JSON.stringify(events[0])).not.toContain(token);
    expect((await auditOf('user.updated')).some((event) => event.subject === id)).toBe(true);
  });

  it('disables a user in a PATCH: their sessions end and the change is audited as a disable', async () => {
    const { id, etag } = await createUser('disable@example.com');
    const answer = await api.call('PATCH', `/users/${id}`, { token, body: { disabled: true }, headers: { 'if-match': etag } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ disabled: true });
    expect((await auditOf('user.disabled')).some((event) => event.subject === id)).toBe(true);
  });

  it('deletes a user with the ETag it read; a second delete finds nothing', async () => {
    const { id, etag } = await createUser('delete@example.com');
    expect((await api.call('DELETE', `/users/${id}`, { token, headers: { 'if-match': etag } })).status).toBe(204);
    expect((await api.call('GET', `/users/${id}`, { token })).status).toBe(404);
    expect((await api.call('DELETE', `/users/${id}`, { token, headers: { 'if-match': etag } })).status).toBe(404);
  });

  it('signs a user out everywhere', async () => {
    const { id } = await createUser('signout@example.com');
    const answer = await api.call('POST', `/users/${id}/sessions/revoke`, { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ revoked_sessions: 0 });
  });
});

describe('management API users: If-Match (RFC 9110 §13.1.1, RFC 6585 §3)', () => {
  it('refuses a change without If-Match (428) or with If-Match: * (428), and writes nothing', async () => {
    const { id } = await createUser('ifmatch-missing@example.com');
    const missing = await api.call('PATCH', `/users/${id}`, { token, body: { name: 'Nope' } });
    expect(missing.status).toBe(428);
    expect(missing.body).toMatchObject({ type: 'urn:gatehouse:problem:precondition-required', status: 428 });
    expect((await api.call('PATCH', `/users/${id}`, { token, body: { name: 'Nope' }, headers: { 'if-match': '*' } })).status).toBe(428);
    expect((await api.call('DELETE', `/users/${id}`, { token })).status).toBe(428);
    expect(await app.store.users.findById(id)).toMatchObject({ name: null, version: 1 });
  });

  it('refuses a stale ETag, a weak one and another user’s (412), and writes nothing', async () => {
    const { id, etag } = await createUser('ifmatch-stale@example.com');
    const other = await createUser('ifmatch-other@example.com');
    expect((await api.call('PATCH', `/users/${id}`, { token, body: { name: 'First' }, headers: { 'if-match': etag } })).status).toBe(200);
    const stale = await api.call('PATCH', `/users/${id}`, { token, body: { name: 'Second' }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ type: 'urn:gatehouse:problem:precondition-failed' });
    const current = (await api.call('GET', `/users/${id}`, { token })).headers.get('etag') ?? '';
    expect((await api.call('PATCH', `/users/${id}`, { token, body: { name: 'Weak' }, headers: { 'if-match': `W/${current}` } })).status).toBe(412);
    expect((await api.call('PATCH', `/users/${other.id}`, { token, body: { name: 'Borrowed' }, headers: { 'if-match': current } })).status).toBe(412);
    expect((await api.call('DELETE', `/users/${id}`, { token, headers: { 'if-match': etag } })).status).toBe(412);
    expect(await app.store.users.findById(id)).toMatchObject({ name: 'First' });
    expect(await app.store.users.findById(other.id)).toMatchObject({ name: null });
  });

  it('lets one of two changes racing with the same ETag through and refuses the other (412)', async () => {
    const { id, etag } = await createUser('race@example.com');
    const answers = await Promise.all(['Left', 'Right'].map((name) => api.call('PATCH', `/users/${id}`, { token, body: { name }, headers: { 'if-match': etag } })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
    const winner = answers.find((answer) => answer.status === 200)?.body as { name: string };
    expect(await app.store.users.findById(id)).toMatchObject({ name: winner.name, version: 2 });
  });
});

describe('management API users: refusals', () => {
  it('answers 401 with a bare challenge without a token, and invalid_token for a bad, expired or revoked one, auditing none', async () => {
    const before = (await auditOf('api.request')).length;
    const none = await api.call('GET', '/users');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    for (const bad of ['gat_not-a-real-token', await expiredToken(app), await revokedToken(app)]) {
      const answer = await api.call('POST', '/users', { token: bad, body: { email: 'stranger@example.com', password: PASSWORD } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(answer.body).toMatchObject({ type: 'urn:gatehouse:problem:invalid-token', status: 401 });
    }
    expect(await app.store.users.findByEmail('stranger@example.com')).toBeNull();
    expect((await auditOf('api.request')).length).toBe(before);
  });

  it('answers 403 insufficient_scope naming the scope to a token without manage:users, writes nothing, and audits it', async () => {
    const groupsOnly = await personalToken(app, { scopes: ['manage:groups'] });
    const answer = await api.call('POST', '/users', { token: groupsOnly.token, body: { email: 'scoped@example.com', password: PASSWORD } });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="insufficient_scope", scope="manage:users"');
    expect(answer.body).toMatchObject({ type: 'urn:gatehouse:problem:insufficient-scope', scope: 'manage:users' });
    expect(await app.store.users.findByEmail('scoped@example.com')).toBeNull();
    const events = (await auditOf('api.request')).filter((event) => event.details.token_id === groupsOnly.id);
    expect(events).toMatchObject([{ outcome: 'failure', details: { operation: 'createUser', status: 403 } }]);
  });

  it('answers 400 with the fields at fault for input the rules refuse, and writes nothing', async () => {
    const invalid = await api.call('POST', '/users', { token, body: { email: 'not an email', password: PASSWORD } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ type: 'urn:gatehouse:problem:validation', errors: [{ field: 'email' }] });
    const weak = await api.call('POST', '/users', { token, body: { email: 'weak@example.com', password: 'password' } });
    expect(weak.body).toMatchObject({ errors: [{ field: 'password' }] });
    const unknown = await api.call('POST', '/users', { token, body: { email: 'typo@example.com', password: PASSWORD, admin: true } });
    expect(unknown.status).toBe(400);
    const wrongType = await api.call('POST', '/users', { token, body: { email: 'type@example.com', password: PASSWORD, is_admin: 'yes' } });
    expect(wrongType.body).toMatchObject({ errors: [{ field: 'is_admin' }] });
    const badLimit = await api.call('GET', '/users?limit=0', { token });
    expect(badLimit.body).toMatchObject({ status: 400, errors: [{ field: 'query.limit' }] });
    const badCursor = await api.call('GET', '/users?cursor=bogus', { token });
    expect(badCursor.body).toMatchObject({ status: 400, errors: [{ field: 'cursor' }] });
    const emptyPatch = await api.call('PATCH', '/users/some-id', { token, body: {}, headers: { 'if-match': '"1-AAAAAAAAAAAA"' } });
    expect(emptyPatch.status).toBe(400);
    for (const email of ['weak@example.com', 'typo@example.com', 'type@example.com']) expect(await app.store.users.findByEmail(email)).toBeNull();
  });

  it('refuses a body that is not JSON (400), not application/json (415) or over 1 MiB (413)', async () => {
    const notJson = await api.call('POST', '/users', { token, rawBody: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(notJson.body).toMatchObject({ status: 400, type: 'urn:gatehouse:problem:invalid-json' });
    const form = await api.call('POST', '/users', { token, rawBody: 'email=a%40example.com', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const large = await api.call('POST', '/users', { token, rawBody: JSON.stringify({ email: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect(large.status).toBe(413);
  });

  it('keeps the last enabled administrator one (409), and an administrator’s own access (400)', async () => {
    const admin = await createUser('only-admin@example.com', { is_admin: true });
    const asAdmin = await personalToken(app, { user: 'only-admin@example.com' });
    const own = await api.call('PATCH', `/users/${admin.id}`, { token: asAdmin.token, body: { is_admin: false }, headers: { 'if-match': admin.etag } });
    expect(own.status).toBe(400);
    expect(own.body).toMatchObject({ errors: [{ field: 'is_admin' }] });
    const last = await api.call('PATCH', `/users/${admin.id}`, { token, body: { is_admin: false }, headers: { 'if-match': admin.etag } });
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ type: 'urn:gatehouse:problem:last-admin' });
    expect(await app.store.users.findById(admin.id)).toMatchObject({ isAdmin: true, version: 1 });
  });

  it('answers unknown users, paths and methods with 404 and 405 problems', async () => {
    expect((await api.call('GET', '/users/no-such-user', { token })).status).toBe(404);
    const path = await api.call('GET', '/nothing-here', { token });
    expect(path.status).toBe(404);
    expect(path.body).toMatchObject({ type: 'urn:gatehouse:problem:not-found' });
    const method = await api.call('PUT', '/users', { token });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});
