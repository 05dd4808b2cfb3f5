// The Clients admin screens and issue 24's first-party / third-party applications: the "Third-party application"
// box on the registration and edit forms, the "Third-party" and "Registered dynamically" labels on the list and the
// client page, and the home page, privacy policy and terms of service its consent screen links to, set on both forms
// and shown on its page. Abuse first: a box value no browser sends, a machine client ticked third-party, a stale
// sign-in unticking the box (the consent screen would no longer be shown), a page on http off loopback, with a
// fragment or a javascript: URL, each refused with the form kept as typed and nothing written.
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import type { AuditEventRecord, ClientRecord } from '../../src/store/records.js';
import type { SignedInAdmin } from '../helpers/admin.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { RunningApp } from '../helpers/start-app.js';
import { appWithAdminPerTest, asStaleAdmin, blankClientFields, escaped, fieldError, inputValue, isConfirmPage, lastEventId, tagOf, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';

describe('admin: third-party applications on the Clients screens (issue 24)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;

  async function register(name: string, input: Partial<NewClientInput> = {}): Promise<ClientRecord> {
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    return (await createClient(ctx, { name, redirectUris: ['https://rp.example/callback'], ...input })).client;
  }

  async function events(type: string): Promise<AuditEventRecord[]> {
    return app.store.audit.list({ limit: 100, filter: { type } });
  }

  // The page fields a browser sends empty when nothing is typed in them.
  const validForm = { name: 'Partner tool', redirect_uris: 'https://partner.example/callback', ...blankClientFields, client_uri: '', policy_uri: '', tos_uri: '' };
  const { client_type: _type, ...editForm } = validForm;

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('refusals', () => {
    it('refuses a box value no browser sends, on the registration and the edit form, writing nothing', async () => {
      const count = await app.store.clients.count();
      const created = await admin.post('/admin/clients', { ...validForm, third_party: 'yes' });
      expect(created.status).toBe(400);
      expect(fieldError(created, 'third_party')).toContain('ticked or not');
      expect(await app.store.clients.count()).toBe(count);

      const client = await register('Edited', { thirdParty: true });
      const before = await lastEventId(app);
      const edited = await admin.post(`/admin/clients/${client.clientId}`, { ...editForm, name: 'Edited', redirect_uris: 'https://rp.example/callback', third_party: 'off' });
      expect(edited.status).toBe(400);
      expect(fieldError(edited, 'third_party')).toBeTruthy();
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses a machine client ticked third-party (nobody signs in to it, so nobody could be asked), writing nothing', async () => {
      const count = await app.store.clients.count();
      const answer = await admin.post('/admin/clients', { ...validForm, redirect_uris: '', machine: 'on', third_party: 'on' });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'third_party')).toBeTruthy();
      expect(tagOf(answer, 'third_party')).toContain('checked');
      expect(await app.store.clients.count()).toBe(count);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password before unticking the box, writing nothing', async () => {
      const client = await register('Adopted later', { thirdParty: true });
      await asStaleAdmin(app, clock, 'stale-third-party@example.com', async (stale) => {
        const before = await lastEventId(app);
        const answer = await stale.post(`/admin/clients/${client.clientId}`, { ...editForm, name: 'Adopted later', redirect_uris: 'https://rp.example/callback' });
        expect(isConfirmPage(answer)).toBe(true);
        expect((await app.store.clients.findById(client.clientId))?.thirdParty).toBe(true);
        expect(await lastEventId(app)).toBe(before);
      });
    });

    // Each refused page, with the other two valid: a refusal writes none of them.
    const BAD_PAGES = [
      { field: 'client_uri', uri: 'http://partner.example/', message: 'uses http on a host that is not loopback' },
      { field: 'policy_uri', uri: 'https://partner.example/privacy#top', message: 'must not have a fragment' },
      { field: 'tos_uri', uri: 'javascript:alert(document.cookie)', message: 'must use https' },
    ] as const;
    const goodPages = { client_uri: 'https://partner.example/', policy_uri: 'https://partner.example/privacy', tos_uri: 'https://partner.example/terms' };

    it.each(BAD_PAGES)('refuses $field $uri on the registration form, keeping what was typed and writing nothing', async ({ field, uri, message }) => {
      const count = await app.store.clients.count();
      const before = await lastEventId(app);
      const typed = { ...validForm, ...goodPages, third_party: 'on', [field]: uri };
      const answer = await admin.post('/admin/clients', typed);
      expect(answer.status).toBe(400);
      expect(fieldError(answer, field)).toContain(message);
      expect(tagOf(answer, field)).toContain('aria-invalid="true"');
      expect(answer.body).toContain(`<li><a href="#${field}">`);
      for (const name of ['client_uri', 'policy_uri', 'tos_uri'] as const) expect(inputValue(answer, name)).toBe(escaped(typed[name]));
      expect(inputValue(answer, 'name')).toBe('Partner tool');
      expect(tagOf(answer, 'third_party')).toContain('checked');
      expect(await app.store.clients.count()).toBe(count);
      expect(await lastEventId(app)).toBe(before);
    });

    it.each(BAD_PAGES)('refuses $field $uri on the edit form, keeping what was typed and writing nothing', async ({ field, uri, message }) => {
      const client = await register('Partner pages', { thirdParty: true, clientUri: 'https://old.example/', policyUri: 'https://old.example/privacy', tosUri: 'https://old.example/terms' });
      const before = await lastEventId(app);
      const typed = { ...editForm, name: 'Renamed too', redirect_uris: 'https://rp.example/callback', third_party: 'on', ...goodPages, [field]: uri };
      const answer = await admin.post(`/admin/clients/${client.clientId}`, typed);
      expect(answer.status).toBe(400);
      expect(fieldError(answer, field)).toContain(message);
      for (const name of ['client_uri', 'policy_uri', 'tos_uri'] as const) expect(inputValue(answer, name)).toBe(escaped(typed[name]));
      expect(inputValue(answer, 'name')).toBe('Renamed too');
      // The facts above the form still show what is stored.
      expect(answer.body).toContain('<dt>Home page</dt><dd><code>https://old.example/</code></dd>');
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect(await lastEventId(app)).toBe(before);
    });
  });

  it('offers the box unticked on the registration form, and registers a third-party application when it is ticked, audited', async () => {
    const form = await admin.page('/admin/clients/new');
    expect(tagOf(form, 'third_party')).toMatch(/name="third_party" type="checkbox" value="on"/);
    expect(tagOf(form, 'third_party')).not.toContain('checked');
    const answer = await admin.post('/admin/clients', { ...validForm, third_party: 'on' });
    expect(answer.status, answer.body).toBe(200);
    const clientId = inputValue(answer, 'client_id') ?? '';
    expect(await app.store.clients.findById(clientId)).toMatchObject({ thirdParty: true, origin: 'admin' });
    expect((await events('client.created'))[0]).toMatchObject({ subject: clientId, details: { third_party: true, origin: 'admin' } });

    const page = await admin.page(`/admin/clients/${clientId}`);
    expect(page.body).toContain('<span class="badge badge-warn">Third-party</span>');
    expect(page.body).toMatch(/data-testid="party">a third party/);
    expect(page.body).toMatch(/data-testid="origin">by an administrator/);
    expect(tagOf(page, 'third_party')).toContain('checked');
  });

  it('registers a first-party application when the box is left unticked, as before', async () => {
    const answer = await admin.post('/admin/clients', { ...validForm, name: 'Our own' });
    const clientId = inputValue(answer, 'client_id') ?? '';
    expect((await app.store.clients.findById(clientId))?.thirdParty).toBe(false);
    const page = await admin.page(`/admin/clients/${clientId}`);
    expect(page.body).not.toContain('>Third-party</span>');
    expect(page.body).toMatch(/data-testid="party">your organisation \(first-party\)/);
    expect(tagOf(page, 'third_party')).not.toContain('checked');
  });

  it('switches an application between first-party and third-party from the edit form, recording the change', async () => {
    const client = await register('Switching');
    const on = await admin.post(`/admin/clients/${client.clientId}`, { ...editForm, name: 'Switching', redirect_uris: 'https://rp.example/callback', third_party: 'on' });
    expect(on.status, on.body).toBe(303);
    expect((await app.store.clients.findById(client.clientId))?.thirdParty).toBe(true);
    expect((await events('client.updated'))[0]).toMatchObject({ subject: client.clientId, details: { changed: ['third_party'] } });
    const off = await admin.post(`/admin/clients/${client.clientId}`, { ...editForm, name: 'Switching', redirect_uris: 'https://rp.example/callback' });
    expect(off.status).toBe(303);
    expect((await app.store.clients.findById(client.clientId))?.thirdParty).toBe(false);
  });

  it('lets a stale administrator rename a third-party application (the box still ticked) without a password, keeping it third-party', async () => {
    const client = await register('Renamed', { thirdParty: true });
    await asStaleAdmin(app, clock, 'stale-rename@example.com', async (stale) => {
      const answer = await stale.post(`/admin/clients/${client.clientId}`, { ...editForm, name: 'Renamed again', redirect_uris: 'https://rp.example/callback', third_party: 'on' });
      expect(answer.status, answer.body).toBe(303);
    });
    expect(await app.store.clients.findById(client.clientId)).toMatchObject({ name: 'Renamed again', thirdParty: true });
  });

  it('offers the home page, privacy policy and terms of service empty on the registration form, and registers them, shown on the client page and its edit form', async () => {
    const form = await admin.page('/admin/clients/new');
    for (const field of ['client_uri', 'policy_uri', 'tos_uri']) expect(tagOf(form, field)).toMatch(new RegExp(`name="${field}" type="url" value=""`));
    const answer = await admin.post('/admin/clients', {
      ...validForm,
      third_party: 'on',
      client_uri: ' https://partner.example/ ',
      policy_uri: 'https://partner.example/privacy',
      // http on a loopback host, as for redirect URIs (a developer's own machine).
      tos_uri: 'http://127.0.0.1:8080/terms',
    });
    expect(answer.status, answer.body).toBe(200);
    const clientId = inputValue(answer, 'client_id') ?? '';
    expect(await app.store.clients.findById(clientId)).toMatchObject({
      thirdParty: true,
      clientUri: 'https://partner.example/',
      policyUri: 'https://partner.example/privacy',
      tosUri: 'http://127.0.0.1:8080/terms',
    });
    const page = await admin.page(`/admin/clients/${clientId}`);
    expect(page.body).toContain('<dt>Home page</dt><dd><code>https://partner.example/</code></dd>');
    expect(page.body).toContain('<dt>Privacy policy</dt><dd><code>https://partner.example/privacy</code></dd>');
    expect(page.body).toContain('<dt>Terms of service</dt><dd><code>http://127.0.0.1:8080/terms</code></dd>');
    expect(inputValue(page, 'client_uri')).toBe('https://partner.example/');
    expect(inputValue(page, 'policy_uri')).toBe('https://partner.example/privacy');
    expect(inputValue(page, 'tos_uri')).toBe('http://127.0.0.1:8080/terms');
  });

  it('changes the pages and clears one from the edit form, recording which changed, escaped wherever shown', async () => {
    const client = await register('Partner pages', { thirdParty: true, clientUri: 'https://old.example/', policyUri: 'https://old.example/privacy', tosUri: 'https://old.example/terms' });
    const odd = `https://new.example/?q="${XSS}`;
    const answer = await admin.post(`/admin/clients/${client.clientId}`, {
      ...editForm,
      name: 'Partner pages',
      redirect_uris: 'https://rp.example/callback',
      third_party: 'on',
      client_uri: odd,
      policy_uri: 'https://old.example/privacy',
      tos_uri: '',
    });
    expect(answer.status, answer.body).toBe(303);
    expect(await app.store.clients.findById(client.clientId)).toMatchObject({ clientUri: odd, policyUri: 'https://old.example/privacy', tosUri: null });
    expect((await events('client.updated'))[0]).toMatchObject({ subject: client.clientId, details: { changed: ['client_uri', 'tos_uri'], third_party: true } });

    const page = await admin.page(`/admin/clients/${client.clientId}`);
    expect(page.body).not.toContain(XSS);
    expect(page.body).toContain(`<dt>Home page</dt><dd><code>${escaped(odd)}</code></dd>`);
    expect(page.body).toContain('<dt>Terms of service</dt><dd>—</dd>');
    expect(inputValue(page, 'client_uri')).toBe(escaped(odd));
    expect(inputValue(page, 'tos_uri')).toBe('');
  });

  it('keeps the pages when the form does not send them, and offers none on a machine client’s edit form', async () => {
    const client = await register('Kept pages', { thirdParty: true, clientUri: 'https://kept.example/', tosUri: 'https://kept.example/terms' });
    const { client_uri: _home, policy_uri: _policy, tos_uri: _terms, ...withoutPages } = editForm;
    const answer = await admin.post(`/admin/clients/${client.clientId}`, { ...withoutPages, name: 'Kept pages renamed', redirect_uris: 'https://rp.example/callback', third_party: 'on' });
    expect(answer.status, answer.body).toBe(303);
    expect(await app.store.clients.findById(client.clientId)).toMatchObject({ name: 'Kept pages renamed', clientUri: 'https://kept.example/', tosUri: 'https://kept.example/terms' });

    // Nobody signs in to a machine client: nobody is shown a consent screen for it.
    const machine = await register('Machine', { machine: true, redirectUris: [] });
    const machinePage = await admin.page(`/admin/clients/${machine.clientId}`);
    for (const field of ['client_uri', 'policy_uri', 'tos_uri']) expect(tagOf(machinePage, field)).toBe('');
  });

  it('labels a dynamically registered application on the list and its page, with the home page, policy and terms it registered', async () => {
    const client = await register(`Registered ${XSS}`, {
      origin: 'dynamic',
      registrationTokenHash: hashSecret('registration-access-token'),
      clientUri: 'https://registered.example/',
      policyUri: 'https://registered.example/privacy',
      tosUri: 'https://registered.example/terms',
    });
    expect(client).toMatchObject({ thirdParty: true, origin: 'dynamic' });
    const list = await admin.page('/admin/clients');
    expect(list.body).toContain(
      `<a href="/admin/clients/${client.clientId}">Registered ${XSS_ESCAPED}</a> <span class="badge badge-warn">Third-party</span> <span class="badge badge-info">Registered dynamically</span>`,
    );
    expect(list.body).not.toContain(XSS);
    const page = await admin.page(`/admin/clients/${client.clientId}`);
    expect(page.body).toMatch(/data-testid="origin">dynamically/);
    expect(page.body).toContain('<dt>Home page</dt><dd><code>https://registered.example/</code></dd>');
    expect(page.body).toContain('<dt>Privacy policy</dt><dd><code>https://registered.example/privacy</code></dd>');
    expect(page.body).toContain('<dt>Terms of service</dt><dd><code>https://registered.example/terms</code></dd>');
    // Never the registration access token's hash.
    expect(page.body).not.toContain(hashSecret('registration-access-token'));

    const own = await register('Admin made');
    const ownPage = await admin.page(`/admin/clients/${own.clientId}`);
    expect(ownPage.body).toContain('<dt>Home page</dt><dd>—</dd>');
    expect(ownPage.body).not.toContain('Registered dynamically');
  });
});
