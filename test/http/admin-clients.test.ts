// The Clients admin screens over HTTP, as an administrator's browser uses them: what each form writes to the
// store and to the audit log, how a refused form comes back, that names are shown as text, and that rotating a
// secret asks a stale administrator for the password first. (Anonymous and non-admin access, and CSRF, are
// tested for every admin route in admin-access.test.ts.)
import { describe, expect, it } from 'vitest';
import { formatTime } from '../../src/admin/render.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import type { AuditEventRecord, ClientRecord } from '../../src/store/records.js';
import type { SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { PASSWORD } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { appWithAdminPerTest, escaped, fieldError, inputValue, noticeOf, tagOf, textareaText, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';

const MINUTE = 60_000;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

describe('admin: the Clients screens (issue 7)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;

  /** A client registered directly, as the `idp` tool would. */
  async function register(name: string, input: Partial<NewClientInput> = {}): Promise<{ client: ClientRecord; clientSecret: string | null }> {
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    return createClient(ctx, { name, redirectUris: ['https://rp.example/callback'], ...input });
  }

  async function events(type: string): Promise<AuditEventRecord[]> {
    return app.store.audit.list({ limit: 100, filter: { type } });
  }

  const validForm = {
    name: 'Wiki',
    redirect_uris: 'https://wiki.example.com/callback\r\nhttp://127.0.0.1:8080/cb\r\n',
    post_logout_redirect_uris: 'https://wiki.example.com/',
    backchannel_logout_uri: 'https://wiki.example.com/backchannel',
    client_type: 'confidential',
  };

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('the list', () => {
    it('lists clients with their name, client id, type, first redirect URI and creation time', async () => {
      const { client } = await register('Aardvark Accounting', { redirectUris: ['https://a.example/cb', 'https://a.example/cb2'], isPublic: true });
      const page = await admin.page('/admin/clients');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain(`<a href="/admin/clients/${client.clientId}">Aardvark Accounting</a>`);
      expect(page.body).toContain(`<code>${client.clientId}</code>`);
      expect(page.body).toContain('<span class="badge badge-warn">public</span>');
      expect(page.body).toContain('<code>https://a.example/cb</code> <span class="muted">and 1 more</span>');
      expect(page.body).toContain(`<time>${formatTime(client.createdAt)}</time>`);
    });

    it('pages through the clients fifty at a time with a next link, and back to the first page', async () => {
      for (let i = 0; i < 51; i++) await register(`Paged ${String(i).padStart(2, '0')}`);
      const total = await app.store.clients.count();
      const first = await admin.page('/admin/clients');
      const rows = (page: Page) => page.body.match(/<td><a href="\/admin\/clients\/[^"]+">/g)?.length ?? 0;
      expect(rows(first)).toBe(50);
      const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.body)?.[1];
      expect(next).toMatch(/^\/admin\/clients\?after=/);
      const second = await admin.page((next ?? '').replace(/&amp;/g, '&'));
      expect(rows(second)).toBe(total - 50);
      expect(second.body).toContain('<a href="/admin/clients">First page</a>');
      expect(second.body).not.toContain('rel="next"');
      // A cursor that no page ever gave is refused, not read as "from the start".
      expect((await admin.browser.get(`${app.url}/admin/clients?after=not-a-cursor`)).status).toBe(400);
    });
  });

  describe('registering a client', () => {
    it('registers a confidential client and shows its client id, secret and discovery URL once, in read-only fields', async () => {
      const form = await admin.page('/admin/clients/new');
      for (const id of ['name', 'redirect_uri', 'post_logout_redirect_uri', 'backchannel_logout_uri']) expect(tagOf(form, id)).not.toBe('');
      expect(form.body).toContain('name="client_type" value="public"');

      const answer = await admin.post('/admin/clients', validForm);
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const clientId = inputValue(answer, 'client_id') ?? '';
      const secret = inputValue(answer, 'client_secret') ?? '';
      expect(secret).toMatch(SECRET);
      expect(tagOf(answer, 'client_secret')).toContain('readonly');
      expect(inputValue(answer, 'discovery_url')).toBe(`${app.config.issuer}/.well-known/openid-configuration`);
      expect(answer.body).toContain('This secret is shown only now.');

      const stored = await app.store.clients.findById(clientId);
      expect(stored).toMatchObject({
        name: 'Wiki',
        clientType: 'confidential',
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: hashSecret(secret),
        redirectUris: ['https://wiki.example.com/callback', 'http://127.0.0.1:8080/cb'],
        postLogoutRedirectUris: ['https://wiki.example.com/'],
        backchannelLogoutUri: 'https://wiki.example.com/backchannel',
        pkceRequired: true,
      });
      expect((await events('client.created'))[0]).toMatchObject({ actor: admin.user.id, subject: clientId, ip: '127.0.0.1', details: { public: false, pkce_required: true } });
      // Never again: not on the client's page.
      const detail = await admin.page(`/admin/clients/${clientId}`);
      expect(detail.body).toContain(clientId);
      expect(detail.body).not.toContain(secret);
    });

    it('registers a public client with no secret, PKCE required', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: 'Phone app', client_type: 'public', backchannel_logout_uri: '' });
      expect(answer.status, answer.body).toBe(200);
      expect(inputValue(answer, 'client_secret')).toBeNull();
      expect(answer.body).not.toContain('This secret is shown only now.');
      const stored = await app.store.clients.findById(inputValue(answer, 'client_id') ?? '');
      expect(stored).toMatchObject({ clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none', backchannelLogoutUri: null, pkceRequired: true });
    });

    it('registers a client that requires multi-factor sign-in when its box is ticked, and turns it off from the edit form', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: 'Payroll', require_mfa: 'on' });
      expect(answer.status, answer.body).toBe(200);
      const clientId = inputValue(answer, 'client_id') ?? '';
      expect((await app.store.clients.findById(clientId))?.requireMfa).toBe(true);
      const shown = await admin.page(`/admin/clients/${clientId}`);
      expect(shown.body).toContain('<dt>Multi-factor sign-in</dt><dd>required</dd>');
      expect(shown.body).toMatch(/name="require_mfa" type="checkbox" value="on" checked/);
      const { client_type: _type, ...settings } = validForm;
      const edited = await admin.post(`/admin/clients/${clientId}`, { ...settings, name: 'Payroll' });
      expect(edited.status, edited.body).toBe(303);
      expect((await app.store.clients.findById(clientId))?.requireMfa).toBe(false);
      expect((await events('client.updated'))[0]).toMatchObject({ subject: clientId, details: { changed: ['require_mfa'] } });
    });

    it('registers a client with a refresh reuse grace of its own, shows it, and gives it back to the server setting when emptied', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: 'Mobile', refresh_reuse_grace: '15' });
      expect(answer.status, answer.body).toBe(200);
      const clientId = inputValue(answer, 'client_id') ?? '';
      expect((await app.store.clients.findById(clientId))?.refreshReuseGrace).toBe(15);
      expect((await events('client.created'))[0]).toMatchObject({ subject: clientId, details: { refresh_reuse_grace: 15 } });
      const shown = await admin.page(`/admin/clients/${clientId}`);
      expect(shown.body).toContain('<dt>Refresh reuse grace</dt><dd>15 s</dd>');
      expect(inputValue(shown, 'refresh_reuse_grace')).toBe('15');
      const { client_type: _type, ...settings } = validForm;
      const edited = await admin.post(`/admin/clients/${clientId}`, { ...settings, name: 'Mobile', refresh_reuse_grace: '' });
      expect(edited.status, edited.body).toBe(303);
      expect((await app.store.clients.findById(clientId))?.refreshReuseGrace).toBeNull();
      expect((await events('client.updated'))[0]).toMatchObject({ subject: clientId, details: { changed: ['refresh_reuse_grace'] } });
      expect((await admin.page(`/admin/clients/${clientId}`)).body).toContain('<dt>Refresh reuse grace</dt><dd>server setting (strict rotation)</dd>');
    });

    it.each(['301', '-1', '2.5', 'ten', '1e2'])('refuses a refresh reuse grace of %j with a message at the field, and registers nothing', async (grace) => {
      const before = await app.store.clients.count();
      const answer = await admin.post('/admin/clients', { ...validForm, name: 'Bad grace', refresh_reuse_grace: grace });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'refresh_reuse_grace')).toMatch(/whole number of seconds/);
      expect(inputValue(answer, 'refresh_reuse_grace')).toBe(grace);
      expect(await app.store.clients.count()).toBe(before);
    });

    it('registers a confidential client with PKCE optional when the advanced box is ticked', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: 'Legacy', pkce: 'optional' });
      expect(answer.status, answer.body).toBe(200);
      expect((await app.store.clients.findById(inputValue(answer, 'client_id') ?? ''))?.pkceRequired).toBe(false);
    });

    it.each([
      ['name', { name: '   ' }, 'the client needs a name'],
      ['redirect_uri', { redirect_uris: '\r\n' }, 'a client needs at least one redirect_uri'],
      ['redirect_uri', { redirect_uris: 'https://ok.example/cb\r\nhttp://wiki.example.com/cb' }, 'redirect_uri "http://wiki.example.com/cb" uses http on a host that is not loopback'],
      ['redirect_uri', { redirect_uris: 'https://wiki.example.com/cb#top' }, 'must not have a fragment'],
      ['post_logout_redirect_uri', { post_logout_redirect_uris: 'wiki.example.com' }, 'is not an absolute URL'],
      ['backchannel_logout_uri', { backchannel_logout_uri: 'ftp://wiki.example.com/bc' }, 'must use https'],
      ['pkce', { client_type: 'public', pkce: 'optional' }, 'PKCE cannot be optional for a public client'],
      ['client_type', { client_type: 'secretive' }, 'choose whether the client is confidential or public'],
    ])('refuses a bad %s next to the field with status 400, keeps what was typed and writes nothing (%j)', async (field, change, message) => {
      const before = await app.store.clients.count();
      const created = (await events('client.created')).length;
      const sent = { ...validForm, ...change };
      const answer = await admin.post('/admin/clients', sent);
      expect(answer.status, answer.body).toBe(400);
      expect(fieldError(answer, field)).toContain(escaped(message));
      if (field !== 'client_type' && field !== 'pkce') {
        expect(tagOf(answer, field)).toContain('aria-invalid="true"');
        expect(tagOf(answer, field)).toMatch(new RegExp(`aria-describedby="[^"]*\\b${field}-error"`));
      }
      // Only the refused field is marked.
      expect(answer.body.match(/aria-invalid="true"/g)?.length).toBe(field === 'client_type' ? 2 : 1);
      expect(inputValue(answer, 'name')).toBe(escaped(sent.name));
      expect(textareaText(answer, 'redirect_uri')).toBe(escaped(sent.redirect_uris));
      expect(textareaText(answer, 'post_logout_redirect_uri')).toBe(escaped(sent.post_logout_redirect_uris));
      expect(inputValue(answer, 'backchannel_logout_uri')).toBe(escaped(sent.backchannel_logout_uri));
      expect(await app.store.clients.count()).toBe(before);
      expect((await events('client.created')).length).toBe(created);
    });

    it('keeps the public choice and the PKCE box of a refused form', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: '', client_type: 'public', pkce: 'optional' });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatch(/value="public" checked/);
      expect(answer.body).not.toMatch(/value="confidential" checked/);
      expect(answer.body).toMatch(/name="pkce" type="checkbox" value="optional" checked/);
    });

    it('refuses a field sent twice', async () => {
      const before = await app.store.clients.count();
      const body = new URLSearchParams({ csrf: await admin.csrf(), ...validForm });
      body.append('name', 'Second name');
      const answer = await admin.browser.request(`${app.url}/admin/clients`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'name')).toBe('this field was sent more than once');
      expect(await app.store.clients.count()).toBe(before);
    });

    it('shows a name with markup as text on every page: registered, listed, detail, delete, refused form', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: XSS });
      expect(answer.status).toBe(200);
      const clientId = inputValue(answer, 'client_id') ?? '';
      expect((await app.store.clients.findById(clientId))?.name).toBe(XSS);
      const refused = await admin.post('/admin/clients', { ...validForm, name: XSS, redirect_uris: 'nope' });
      expect(refused.status).toBe(400);
      const pages = [answer, refused, await admin.page('/admin/clients'), await admin.page(`/admin/clients/${clientId}`), await admin.page(`/admin/clients/${clientId}/delete`)];
      for (const page of pages) {
        expect(page.body).not.toContain(XSS);
        expect(page.body).toContain(XSS_ESCAPED);
      }
    });
  });

  describe('editing a client', () => {
    it('shows the registration and an edit form filled with the current settings', async () => {
      const { client } = await register('Shop', { redirectUris: ['https://shop.example/cb', 'https://shop.example/cb2'], postLogoutRedirectUris: ['https://shop.example/'] });
      const page = await admin.page(`/admin/clients/${client.clientId}`);
      expect(inputValue(page, 'name')).toBe('Shop');
      expect(textareaText(page, 'redirect_uri')).toBe('https://shop.example/cb\nhttps://shop.example/cb2');
      expect(textareaText(page, 'post_logout_redirect_uri')).toBe('https://shop.example/');
      expect(page.body).toContain('<code>client_secret_basic</code>');
      expect(page.body).toContain('Rotate secret');
    });

    it('saves a new name and URIs, redirects to the client with a notice, and records which settings changed', async () => {
      const { client } = await register('Shop', { backchannelLogoutUri: 'https://shop.example/bc' });
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        name: 'Shop (new)',
        redirect_uris: 'https://shop.example/cb\r\nhttps://shop.example/other',
        post_logout_redirect_uris: '',
        backchannel_logout_uri: '',
      });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=saved`);
      expect(await app.store.clients.findById(client.clientId)).toMatchObject({
        name: 'Shop (new)',
        redirectUris: ['https://shop.example/cb', 'https://shop.example/other'],
        postLogoutRedirectUris: [],
        backchannelLogoutUri: null,
        clientType: 'confidential',
        secretHash: client.secretHash,
      });
      expect((await events('client.updated'))[0]).toMatchObject({
        actor: admin.user.id,
        subject: client.clientId,
        ip: '127.0.0.1',
        details: { changed: ['client_name', 'redirect_uris', 'backchannel_logout_uri'] },
      });
      expect(noticeOf(await admin.page(`/admin/clients/${client.clientId}?done=saved`))).toBe('The changes were saved.');
    });

    it('writes and records nothing when the form holds the settings the client already has', async () => {
      const { client } = await register('Unchanged', { redirectUris: ['https://u.example/cb'] });
      const updates = (await events('client.updated')).length;
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        name: 'Unchanged',
        redirect_uris: 'https://u.example/cb\r\n',
        post_logout_redirect_uris: '',
        backchannel_logout_uri: '',
      });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=unchanged`);
      expect((await app.store.clients.findById(client.clientId))?.updatedAt).toBe(client.updatedAt);
      expect((await events('client.updated')).length).toBe(updates);
    });

    it('refuses an edit that leaves no redirect URI next to the field, keeps the typed values, and changes nothing', async () => {
      const { client } = await register('Keep me');
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        name: `Renamed ${XSS}`,
        redirect_uris: '',
        post_logout_redirect_uris: 'https://keep.example/',
        backchannel_logout_uri: '',
      });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'redirect_uri')).toBe('a client needs at least one redirect_uri');
      expect(tagOf(answer, 'redirect_uri')).toContain('aria-invalid="true"');
      expect(inputValue(answer, 'name')).toBe(`Renamed ${XSS_ESCAPED}`);
      expect(textareaText(answer, 'post_logout_redirect_uri')).toBe('https://keep.example/');
      expect(answer.body).not.toContain(XSS);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect((await events('client.updated')).filter((event) => event.subject === client.clientId)).toEqual([]);
    });
  });

  describe('rotating a client secret (a sensitive action)', () => {
    it('replaces the secret and shows the new one once', async () => {
      const { client, clientSecret } = await register('Rotating');
      const answer = await admin.post(`/admin/clients/${client.clientId}/rotate-secret`, {});
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const secret = inputValue(answer, 'client_secret') ?? '';
      expect(secret).toMatch(SECRET);
      expect(secret).not.toBe(clientSecret);
      expect(answer.body).toContain('This secret is shown only now.');
      expect((await app.store.clients.findById(client.clientId))?.secretHash).toBe(hashSecret(secret));
      expect((await events('client.secret_rotated'))[0]).toMatchObject({ actor: admin.user.id, subject: client.clientId, ip: '127.0.0.1' });
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password, and rotates only with the right one', async () => {
      const { client } = await register('Stale');
      const path = `/admin/clients/${client.clientId}/rotate-secret`;
      const rotations = async () => (await events('client.secret_rotated')).filter((event) => event.subject === client.clientId).length;
      clock.advance(16 * MINUTE);
      // The form asks for the password up front.
      expect((await admin.page(`/admin/clients/${client.clientId}`)).body).toContain('name="confirm_password"');

      const asked = await admin.post(path, {});
      expect(asked.status).toBe(403);
      expect(asked.body).toContain('Confirm it’s you');
      expect(asked.body).toContain(`action="/admin/clients/${client.clientId}/rotate-secret"`);
      expect(inputValue(asked, 'client_secret')).toBeNull();

      const wrong = await admin.post(path, { confirm_password: 'not the password' });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toContain('That password is not correct.');
      expect((await app.store.clients.findById(client.clientId))?.secretHash).toBe(client.secretHash);
      expect(await rotations()).toBe(0);

      const confirmed = await admin.post(path, { confirm_password: PASSWORD });
      expect(confirmed.status, confirmed.body).toBe(200);
      expect((await app.store.clients.findById(client.clientId))?.secretHash).toBe(hashSecret(inputValue(confirmed, 'client_secret') ?? ''));
      expect(await rotations()).toBe(1);
    });

    it('refuses to rotate the secret of a public client, which has none', async () => {
      const { client } = await register('Public', { isPublic: true });
      expect((await admin.page(`/admin/clients/${client.clientId}`)).body).not.toContain('Rotate secret');
      const answer = await admin.post(`/admin/clients/${client.clientId}/rotate-secret`, {});
      expect(answer.status).toBe(400);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
    });
  });

  describe('deleting a client', () => {
    it('asks first, naming the client, then deletes it and returns to the list with a notice', async () => {
      const { client } = await register('Doomed app');
      const confirm = await admin.page(`/admin/clients/${client.clientId}/delete`);
      expect(confirm.body).toContain('Delete Doomed app?');
      expect(confirm.body).toContain(client.clientId);
      // Looking at the confirmation changes nothing.
      expect(await app.store.clients.findById(client.clientId)).not.toBeNull();

      const answer = await admin.post(`/admin/clients/${client.clientId}/delete`, {});
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/clients?done=deleted`);
      expect(await app.store.clients.findById(client.clientId)).toBeNull();
      expect((await events('client.deleted'))[0]).toMatchObject({ actor: admin.user.id, subject: client.clientId, ip: '127.0.0.1', details: { name: 'Doomed app' } });
      const list = await admin.page('/admin/clients?done=deleted');
      expect(noticeOf(list)).toContain('The client was deleted');
      expect(list.body).not.toContain(client.clientId);
    });
  });

  it('answers 404 for a client id that does not exist, on every client page and form', async () => {
    const unknown = `/admin/clients/${encodeURIComponent(XSS)}`;
    for (const path of [unknown, `${unknown}/delete`]) {
      const page = await admin.browser.get(`${app.url}${path}`);
      expect(page.status, path).toBe(404);
      expect(page.body).not.toContain(XSS);
    }
    for (const path of [unknown, `${unknown}/delete`, `${unknown}/rotate-secret`]) {
      expect((await admin.post(path, validForm)).status, path).toBe(404);
    }
  });
});
