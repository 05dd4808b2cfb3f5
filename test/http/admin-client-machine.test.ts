// The client forms of issue 22 over HTTP, as an administrator's browser uses them: registering a machine client
// (client credentials only, no redirect URIs) with a secret or with its key (private_key_jwt: a JWKS pasted or a JWKS
// URI), a client that may use the device flow, and the APIs a client may request tokens for (all of an API's scopes
// by default, or those ticked) or introspect, on the registration form and the edit form. Each refusal is shown next
// to its field with the form kept and writes nothing; the client page shows what the form set; a secret is shown
// once; keys and API grants are sensitive changes; markup in names is text. The clients made through the forms then
// get tokens at the token endpoint with their secret or their key (RFC 6749 §4.4, RFC 7523).
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId } from '../../src/auth/secrets.js';
import { createApi, type ApiInput } from '../../src/manage/apis.js';
import { setClientApis } from '../../src/manage/client-apis.js';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type ApiRecord, type ClientRecord } from '../../src/store/records.js';
import type { SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { RunningApp } from '../helpers/start-app.js';
import { signedInNonAdmin } from './admin-access-checks.js';
import {
  appWithAdminPerTest,
  blankClientFields,
  eventsSince,
  fieldError,
  inputTag,
  inputValue,
  isConfirmPage,
  lastEventId,
  noticeOf,
  XSS,
  XSS_ESCAPED,
  asStaleAdmin as staleAdmin,
  textareaText as escapedTextareaText,
} from './admin-screen-helpers.js';

const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The text of a textarea by id, unescaped. */
const textareaText = (page: Page, id: string) => (escapedTextareaText(page, id) ?? '').replace(/&#34;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The fields a browser sends for the registration form, every person-related field left as it comes. */
const baseForm = {
  name: 'Nightly job',
  redirect_uris: '',
  ...blankClientFields,
  jwks: '',
  jwks_uri: '',
  apis_listed: '1',
};

/** One API's fields on the client form: may request (all scopes, or those listed) and may introspect. */
function apiFields(api: ApiRecord, grant: { request?: boolean; scopes?: string[]; introspect?: boolean }): Record<string, string> {
  const fields: Record<string, string> = { [`api_scopes_${api.id}`]: grant.scopes ? 'listed' : 'all' };
  if (grant.request) fields[`api_request_${api.id}`] = 'on';
  if (grant.introspect) fields[`api_introspect_${api.id}`] = 'on';
  for (const scope of grant.scopes ?? []) fields[`api_scope_${api.id}_${scope}`] = 'on';
  return fields;
}

describe('admin: machine, device and private_key_jwt clients and their APIs (issue 22)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let orders: ApiRecord;
  let people: ApiRecord;
  let serial = 0;
  let key: { privateKey: CryptoKey; jwk: JWK };

  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config });
  const api = (input: Partial<ApiInput> = {}): Promise<ApiRecord> => {
    const n = (serial += 1);
    return createApi(ctx(), { name: `API ${n}`, identifier: `https://api${n}.example.com/`, scopes: [{ name: 'read', description: 'Read' }], ...input });
  };
  const register = async (input: Partial<NewClientInput> = {}): Promise<ClientRecord> =>
    (await createClient(ctx(), { name: `Client ${(serial += 1)}`, redirectUris: ['https://rp.example/cb'], ...input })).client;
  const jwksText = (jwk: JWK = key.jwk) => JSON.stringify({ keys: [{ ...jwk, kid: 'job-key-1', use: 'sig', alg: 'RS256' }] });

  /** Posts a form that must be refused: its status, and that nothing at all was written. */
  async function refused(path: string, fields: Record<string, string>, status = 400): Promise<Page> {
    const before = await lastEventId(app);
    const clients = await app.store.clients.count();
    const answer = await admin.post(path, fields);
    expect(answer.status, answer.body).toBe(status);
    expect(await app.store.clients.count()).toBe(clients);
    expect(await lastEventId(app)).toBe(before);
    return answer;
  }

  /** A client credentials request at the token endpoint, as a back end sends it. */
  function tokenRequest(fields: Record<string, string>, headers: Record<string, string> = {}) {
    return fetch(`${app.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
  }

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  beforeAll(async () => {
    orders = await api({
      name: `Orders ${XSS}`,
      identifier: 'https://orders.example.com/',
      scopes: [
        { name: 'orders:read', description: `Read ${XSS}` },
        { name: 'orders:write', description: 'Write' },
      ],
      accepts: 'both',
    });
    people = await api({ name: 'Profiles', identifier: 'https://profiles.example.com/', accepts: 'people' });
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
  });

  describe('the registration form', () => {
    it('offers the kind boxes, the key fields and every API with its scopes, “all scopes” chosen, all labelled', async () => {
      const page = await admin.page('/admin/clients/new');
      expect(page.body).toContain('<legend>Kind</legend>');
      expect(page.body).toMatch(
        /<label class="checkbox" for="machine"><input id="machine" name="machine" type="checkbox" value="on"[^>]*> Machine client \(client credentials only, no redirect URIs\)<\/label>/,
      );
      expect(page.body).toMatch(/<label class="checkbox" for="device"><input id="device" name="device" type="checkbox" value="on"[^>]*> May use the device flow<\/label>/);
      expect(page.body).toContain('<label for="jwks">Public keys (JWKS)</label>');
      expect(page.body).toContain('<label for="jwks_uri">Or a JWKS URI</label>');
      expect(page.body).toContain('<input type="hidden" name="apis_listed" value="1">');
      expect(page.body).toContain(`<legend>Orders ${XSS_ESCAPED}</legend>`);
      expect(page.body).toContain(`for="api_request_${orders.id}"`);
      expect(inputTag(page, `api_scopes_${orders.id}-all`)).toContain('checked');
      expect(inputTag(page, `api_scopes_${orders.id}-listed`)).not.toContain('checked');
      expect(page.body).toContain(`name="api_scope_${orders.id}_orders:write"`);
      expect(page.body).toContain(`<code>orders:read</code> <span class="muted">Read ${XSS_ESCAPED}</span>`);
      expect(page.body).toContain(`for="api_introspect_${orders.id}"`);
      expect(page.body).not.toContain(XSS);
      // The redirect URIs are not required by the browser: a machine client has none.
      expect(page.body).not.toMatch(/<textarea id="redirect_uri"[^>]*\brequired/);
    });

    it('registers a machine client with a secret and an API, shows the secret once with the token endpoint, audited', async () => {
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/clients', { ...baseForm, machine: 'on', ...apiFields(orders, { request: true }) });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const clientId = inputValue(answer, 'client_id') ?? '';
      const secret = inputValue(answer, 'client_secret') ?? '';
      expect(secret).toMatch(SECRET);
      expect(answer.body).toContain('This secret is shown only now.');
      expect(inputValue(answer, 'token_url')).toBe(`${app.config.issuer}/token`);
      expect(await app.store.clients.findById(clientId)).toMatchObject({
        name: 'Nightly job',
        clientType: 'confidential',
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: hashSecret(secret),
        grantTypes: [CLIENT_CREDENTIALS_GRANT],
        redirectUris: [],
        scopes: [],
        jwks: null,
        jwksUri: null,
      });
      expect(await app.store.apis.accessOf(clientId)).toMatchObject([{ apiId: orders.id, role: 'request', scopes: null }]);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'client.created', actor: admin.user.id, subject: clientId, ip: '127.0.0.1', details: { machine: true, device: false } }]);

      const page = await admin.page(`/admin/clients/${clientId}`);
      expect(page.body).not.toContain(secret);
      expect(page.body).toContain('<dt>Kind</dt><dd>machine client (client credentials only)');
      expect(page.body).toContain(`<td><a href="/admin/apis/${orders.id}">Orders ${XSS_ESCAPED}</a></td>`);
      expect(page.body).toContain('<td>all, now and later</td>');
      // Nobody signs in to it: its edit form has none of a person's settings, and its page no access section.
      expect(page.body).not.toContain('id="redirect_uri"');
      expect(page.body).not.toContain('id="access-heading"');
      expect(page.body).toContain('<h2>Client secret</h2>');
      expect(page.body).not.toContain(XSS);
      const list = await admin.page('/admin/clients');
      expect(list.body).toMatch(new RegExp(`<td><code>${clientId}</code></td>[\\s\\S]*?<span class="muted">none: machine client</span>`));

      // The token endpoint takes its secret (RFC 6749 §4.4): a token for the API.
      const token = await tokenRequest(
        { grant_type: 'client_credentials', resource: orders.identifier },
        { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      );
      expect(token.status, await token.clone().text()).toBe(200);
      expect(await token.json()).toMatchObject({ token_type: 'Bearer', scope: 'orders:read orders:write' });
    });

    it('registers a machine client with its JWKS (private_key_jwt): no secret, the keys stored public-only and described', async () => {
      const answer = await admin.post('/admin/clients', { ...baseForm, name: 'Key job', machine: 'on', jwks: jwksText(), ...apiFields(orders, { request: true, scopes: ['orders:read'] }) });
      expect(answer.status, answer.body).toBe(200);
      const clientId = inputValue(answer, 'client_id') ?? '';
      expect(inputValue(answer, 'client_secret')).toBeNull();
      expect(answer.body).not.toContain('This secret is shown only now.');
      expect(answer.body).toContain('it authenticates with a JWT signed by its private key (<code>private_key_jwt</code>)');
      const stored = await app.store.clients.findById(clientId);
      expect(stored).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', secretHash: null, jwksUri: null, grantTypes: [CLIENT_CREDENTIALS_GRANT] });
      expect(JSON.parse(stored?.jwks ?? '{}')).toEqual({ keys: [{ kty: 'RSA', kid: 'job-key-1', use: 'sig', alg: 'RS256', n: key.jwk.n, e: key.jwk.e }] });
      expect(await app.store.apis.accessOf(clientId)).toMatchObject([{ apiId: orders.id, role: 'request', scopes: ['orders:read'] }]);

      const page = await admin.page(`/admin/clients/${clientId}`);
      expect(page.body).toContain('<dt>Keys</dt><dd><code>RSA 2048 RS256 kid=job-key-1</code>');
      expect(page.body).toContain('<td><code>orders:read</code></td>');
      expect(page.body).toContain('<h2>Switch to a secret</h2>');
      expect(page.body).not.toContain('Rotate secret');
      expect(textareaText(page, 'jwks')).toContain('"kid": "job-key-1"');

      // The token endpoint takes an assertion signed with its key (RFC 7523 §2.2).
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'job-key-1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(`${app.config.issuer}/token`)
        .setJti(randomId())
        .setIssuedAt(Math.floor(clock.now() / 1000))
        .setExpirationTime(Math.floor(clock.now() / 1000) + 60)
        .sign(key.privateKey);
      const token = await tokenRequest({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
      expect(token.status, await token.clone().text()).toBe(200);
      expect(await token.json()).toMatchObject({ scope: 'orders:read' });
    });

    it('registers a confidential browser client with a JWKS URI, and a public client for the device flow only', async () => {
      const keyed = await admin.post('/admin/clients', { ...baseForm, name: 'Web app', redirect_uris: 'https://web.example.com/cb', jwks_uri: 'https://web.example.com/jwks.json' });
      expect(keyed.status, keyed.body).toBe(200);
      expect(await app.store.clients.findById(inputValue(keyed, 'client_id') ?? '')).toMatchObject({
        tokenEndpointAuthMethod: 'private_key_jwt',
        secretHash: null,
        jwks: null,
        jwksUri: 'https://web.example.com/jwks.json',
        grantTypes: ['authorization_code', 'refresh_token'],
      });
      expect(keyed.body).toContain('at <code>https://web.example.com/jwks.json</code>');

      const device = await admin.post('/admin/clients', { ...baseForm, name: 'TV app', client_type: 'public', device: 'on', ...apiFields(people, { request: true }) });
      expect(device.status, device.body).toBe(200);
      const deviceId = inputValue(device, 'client_id') ?? '';
      expect(await app.store.clients.findById(deviceId)).toMatchObject({
        clientType: 'public',
        tokenEndpointAuthMethod: 'none',
        redirectUris: [],
        grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
      });
      expect(await app.store.apis.accessOf(deviceId)).toMatchObject([{ apiId: people.id, role: 'request' }]);
      expect((await admin.page(`/admin/clients/${deviceId}`)).body).toContain('<dt>Kind</dt><dd>device flow only');
    });

    it('refuses a machine client with redirect URIs, a public machine client, and a machine client for an API of people only, each at its field', async () => {
      const uris = await refused('/admin/clients', { ...baseForm, machine: 'on', redirect_uris: 'https://job.example.com/cb' });
      expect(fieldError(uris, 'redirect_uri')).toContain('machine client');
      expect(textareaText(uris, 'redirect_uri')).toBe('https://job.example.com/cb');
      expect(inputTag(uris, 'machine')).toContain('checked');
      const open = await refused('/admin/clients', { ...baseForm, machine: 'on', client_type: 'public' });
      expect(fieldError(open, 'client_type')).toContain('machine client is confidential');
      const mismatch = await refused('/admin/clients', { ...baseForm, machine: 'on', ...apiFields(people, { request: true }) });
      expect(fieldError(mismatch, `api_request_${people.id}`)).toContain('accepts only tokens for people');
      expect(inputTag(mismatch, `api_request_${people.id}`)).toContain('aria-invalid="true"');
      expect(inputTag(mismatch, `api_request_${people.id}`)).toContain('checked');
    });

    it('refuses keys given both ways, a private key, a symmetric key and a JWKS URI over http, each at its field with what was typed', async () => {
      const both = await refused('/admin/clients', { ...baseForm, machine: 'on', jwks: jwksText(), jwks_uri: 'https://job.example.com/jwks' });
      expect(fieldError(both, 'jwks')).toContain('not both');
      expect(inputTag(both, 'jwks_uri')).toContain('value="https://job.example.com/jwks"');
      const pair = await generateKeyPair('RS256', { extractable: true });
      const leaked = await refused('/admin/clients', { ...baseForm, machine: 'on', jwks: JSON.stringify({ keys: [await exportJWK(pair.privateKey)] }) });
      expect(fieldError(leaked, 'jwks')).toContain('private member');
      // The key pasted is shown back to whoever typed it, but no message repeats it.
      expect(fieldError(leaked, 'jwks')).not.toContain(String((await exportJWK(pair.privateKey)).d));
      const oct = await refused('/admin/clients', { ...baseForm, machine: 'on', jwks: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) });
      expect(fieldError(oct, 'jwks')).toContain('symmetric');
      const garbage = await refused('/admin/clients', { ...baseForm, machine: 'on', jwks: `{"keys": ${XSS}` });
      expect(fieldError(garbage, 'jwks')).toContain('not JSON');
      expect(garbage.body).not.toContain(XSS);
      const http = await refused('/admin/clients', { ...baseForm, machine: 'on', jwks_uri: 'http://job.example.com/jwks' });
      expect(fieldError(http, 'jwks_uri')).toBeTruthy();
      const publicKeys = await refused('/admin/clients', { ...baseForm, name: 'SPA', redirect_uris: 'https://spa.example/cb', client_type: 'public', jwks: jwksText() });
      expect(fieldError(publicKeys, 'jwks')).toContain('public client');
    });

    it('refuses "only those ticked" with none ticked, and scopes ticked without "may request", at the API', async () => {
      const none = await refused('/admin/clients', { ...baseForm, machine: 'on', ...apiFields(orders, { request: true, scopes: [] }), [`api_scopes_${orders.id}`]: 'listed' });
      expect(fieldError(none, `api_request_${orders.id}`)).toContain('tick the scopes');
      expect(inputTag(none, `api_scopes_${orders.id}-listed`)).toContain('checked');
      const unasked = await refused('/admin/clients', { ...baseForm, machine: 'on', ...apiFields(orders, { request: false, scopes: ['orders:write'] }) });
      expect(fieldError(unasked, `api_request_${orders.id}`)).toContain('may request tokens');
      expect(inputTag(unasked, `api_scope_${orders.id}-1`)).toContain('checked');
    });
  });

  describe("a client's API grants on its edit form", () => {
    /** The edit form's fields for a browser client registered with `register`, as a browser sends them back. */
    const editForm = (client: ClientRecord, extra: Record<string, string> = {}) => ({
      ...baseForm,
      name: client.name,
      redirect_uris: client.redirectUris.join('\n'),
      ...extra,
    });

    it('shows the grants checked, then saves listed scopes and an introspection grant, audited as client.updated naming apis', async () => {
      const client = await register({ name: 'Shop' });
      await setClientApis(ctx(), client.clientId, { request: [{ api: orders.id, scopes: null }], introspect: [] });
      const page = await admin.page(`/admin/clients/${client.clientId}`);
      expect(inputTag(page, `api_request_${orders.id}`)).toContain('checked');
      expect(inputTag(page, `api_scopes_${orders.id}-all`)).toContain('checked');
      expect(inputTag(page, `api_request_${people.id}`)).not.toContain('checked');

      const before = await lastEventId(app);
      const answer = await admin.post(
        `/admin/clients/${client.clientId}`,
        editForm(client, { ...apiFields(orders, { request: true, scopes: ['orders:write'], introspect: true }), ...apiFields(people, { request: true }) }),
      );
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=saved`);
      const grants = (await app.store.apis.accessOf(client.clientId)).map(({ apiId, role, scopes }) => ({ apiId, role, scopes }));
      expect(grants).toEqual(
        expect.arrayContaining([
          { apiId: orders.id, role: 'request', scopes: ['orders:write'] },
          { apiId: orders.id, role: 'introspect', scopes: null },
          { apiId: people.id, role: 'request', scopes: null },
        ]),
      );
      expect(grants).toHaveLength(3);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'client.updated', actor: admin.user.id, subject: client.clientId, ip: '127.0.0.1', details: { changed: ['apis'] } }]);
      const saved = await admin.page(`/admin/clients/${client.clientId}?done=saved`);
      expect(noticeOf(saved)).toBe('The changes were saved.');
      expect(inputTag(saved, `api_scopes_${orders.id}-listed`)).toContain('checked');
      expect(inputTag(saved, `api_scope_${orders.id}-1`)).toContain('checked');
      expect(inputTag(saved, `api_scope_${orders.id}-0`)).not.toContain('checked');
      expect(saved.body).toContain('<td>introspect tokens</td>');

      // Unticking withdraws them; the same form again changes nothing.
      const withdrawn = await admin.post(`/admin/clients/${client.clientId}`, editForm(client, apiFields(people, { request: true })));
      expect(withdrawn.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=saved`);
      expect((await app.store.apis.accessOf(client.clientId)).map((grant) => grant.apiId)).toEqual([people.id]);
      const middle = await lastEventId(app);
      const again = await admin.post(`/admin/clients/${client.clientId}`, editForm(client, apiFields(people, { request: true })));
      expect(again.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=unchanged`);
      expect(await lastEventId(app)).toBe(middle);
    });

    it('leaves the grants as they are when a form without the APIs fields is posted (a form from before issue 22)', async () => {
      const client = await register({ name: 'Old form' });
      await setClientApis(ctx(), client.clientId, { request: [{ api: orders.id, scopes: null }], introspect: [] });
      const { apis_listed: _marker, jwks: _jwks, jwks_uri: _uri, ...old } = editForm(client, { name: 'Old form renamed' });
      const answer = await admin.post(`/admin/clients/${client.clientId}`, old);
      expect(answer.status, answer.body).toBe(303);
      expect((await app.store.clients.findById(client.clientId))?.name).toBe('Old form renamed');
      expect(await app.store.apis.accessOf(client.clientId)).toMatchObject([{ apiId: orders.id, role: 'request', scopes: null }]);
    });

    it('refuses a grant the rules refuse with the rest of the form unsaved: neither the name nor any grant is written', async () => {
      const client = await register({ name: 'Careful', isPublic: true });
      const answer = await refused(
        `/admin/clients/${client.clientId}`,
        editForm(client, { name: 'Careful renamed', client_type: 'public', ...apiFields(orders, { request: true, introspect: true }) }),
      );
      expect(fieldError(answer, 'apis')).toContain('public client cannot authenticate');
      expect(inputValue(answer, 'name')).toBe('Careful renamed');
      expect(inputTag(answer, `api_introspect_${orders.id}`)).toContain('checked');
      expect((await app.store.clients.findById(client.clientId))?.name).toBe('Careful');
      expect(await app.store.apis.accessOf(client.clientId)).toEqual([]);
    });

    it('asks a stale administrator for the password before changing grants or keys, but not for a renaming', async () => {
      const client = await register({ name: 'Guarded' });
      await staleAdmin(app, clock, 'machine-stale@example.com', async (stale) => {
        const before = await lastEventId(app);
        const grant = await stale.post(`/admin/clients/${client.clientId}`, editForm(client, apiFields(orders, { request: true })));
        expect(isConfirmPage(grant)).toBe(true);
        const keys = await stale.post(`/admin/clients/${client.clientId}`, editForm(client, { jwks: jwksText() }));
        expect(isConfirmPage(keys)).toBe(true);
        expect(await lastEventId(app)).toBe(before);
        expect(await app.store.apis.accessOf(client.clientId)).toEqual([]);
        expect((await app.store.clients.findById(client.clientId))?.tokenEndpointAuthMethod).toBe('client_secret_basic');
        const renamed = await stale.post(`/admin/clients/${client.clientId}`, editForm(client, { name: 'Guarded renamed' }));
        expect(renamed.status, renamed.body).toBe(303);
      });
    });
  });

  describe('keys on the edit form', () => {
    it('gives a client with a secret its keys (the secret goes), refuses clearing them, and switches back to a secret shown once', async () => {
      const machine = (await createClient(ctx(), { name: 'Job', redirectUris: [], machine: true })).client;
      const edit = await admin.page(`/admin/clients/${machine.clientId}`);
      expect(edit.body).toContain('<label for="jwks">Public keys (JWKS)</label>');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/clients/${machine.clientId}`, { name: 'Job', jwks: jwksText(), jwks_uri: '', apis_listed: '1' });
      expect(answer.status, answer.body).toBe(303);
      expect(await app.store.clients.findById(machine.clientId)).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', secretHash: null, grantTypes: [CLIENT_CREDENTIALS_GRANT] });
      const events = await eventsSince(app, before);
      expect(events).toMatchObject([{ type: 'client.updated', subject: machine.clientId }]);
      expect((events[0]?.details as { changed: string[] }).changed).toEqual(expect.arrayContaining(['token_endpoint_auth_method', 'jwks']));

      const cleared = await refused(`/admin/clients/${machine.clientId}`, { name: 'Job', jwks: '', jwks_uri: '', apis_listed: '1' });
      expect(fieldError(cleared, 'jwks')).toContain('cannot lose them');

      const switched = await admin.post(`/admin/clients/${machine.clientId}/use-secret`, {});
      expect(switched.status, switched.body).toBe(200);
      const secret = inputValue(switched, 'client_secret') ?? '';
      expect(secret).toMatch(SECRET);
      expect(switched.body).toContain('now authenticates with a secret');
      expect(await app.store.clients.findById(machine.clientId)).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', secretHash: hashSecret(secret), jwks: null, jwksUri: null });
      expect((await admin.page(`/admin/clients/${machine.clientId}`)).body).not.toContain(secret);
    });
  });

  describe('who may use them', () => {
    it('refuses the forms without the CSRF token, and a signed-in person without the admin flag, writing nothing', async () => {
      const client = await register({ name: 'Protected' });
      const plain = await signedInNonAdmin(app, 'machine-plain@example.com');
      const posts: [string, Record<string, string>][] = [
        ['/admin/clients', { ...baseForm, machine: 'on', ...apiFields(orders, { request: true }) }],
        [`/admin/clients/${client.clientId}`, { ...baseForm, name: client.name, redirect_uris: 'https://rp.example/cb', ...apiFields(orders, { request: true }) }],
        [`/admin/clients/${client.clientId}/use-secret`, {}],
      ];
      const before = await lastEventId(app);
      const count = await app.store.clients.count();
      for (const [path, fields] of posts) {
        const noToken = await admin.browser.postForm(app.url + path, fields);
        expect(noToken.status, path).toBe(403);
        expect(noToken.body).toContain('did not come from this site');
        const notAdmin = await plain.postForm(app.url + path, { csrf: await admin.csrf(), ...fields });
        expect(notAdmin.status, path).toBe(403);
        expect(notAdmin.body).toContain('Administrators only');
      }
      expect(await app.store.clients.count()).toBe(count);
      expect(await app.store.apis.accessOf(client.clientId)).toEqual([]);
      expect(await lastEventId(app)).toBe(before);
    });

    it('keeps the client pages free of inline script and style (CSP)', async () => {
      const client = await register({ name: 'Styled', jwksUri: 'https://styled.example.com/jwks' });
      for (const path of ['/admin/clients/new', `/admin/clients/${client.clientId}`]) {
        const page = await admin.page(path);
        expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|\son[a-z]+="/i);
      }
    });
  });
});
