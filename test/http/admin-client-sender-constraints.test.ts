// The Clients admin screens and issue 28's two rules of a client: "Require pushed authorization requests (PAR)"
// (RFC 9126 §6 require_pushed_authorization_requests) and "Require DPoP-bound access tokens" (RFC 9449 §5.2
// dpop_bound_access_tokens), two boxes on the registration and edit forms, shown on the client page. Abuse first: a
// forged form without the CSRF token, a box value no browser sends, PAR for a machine client, a stale sign-in
// unticking a box (the client's protection would be weakened): each refused with nothing written.
import { describe, expect, it } from 'vitest';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import type { AuditEventRecord, ClientRecord } from '../../src/store/records.js';
import type { SignedInAdmin } from '../helpers/admin.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { RunningApp } from '../helpers/start-app.js';
import { appWithAdminPerTest, asStaleAdmin, blankClientFields, fieldError, inputValue, isConfirmPage, lastEventId, tagOf } from './admin-screen-helpers.js';

const PAR = 'require_pushed_authorization_requests';
const DPOP = 'dpop_bound_access_tokens';

describe('admin: clients required to push their requests and to bind their tokens with DPoP (issue 28)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;

  async function register(name: string, input: Partial<NewClientInput> = {}): Promise<ClientRecord> {
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    return (await createClient(ctx, { name, redirectUris: ['https://rp.example/callback'], ...input })).client;
  }

  const events = (type: string): Promise<AuditEventRecord[]> => app.store.audit.list({ limit: 100, filter: { type } });
  const validForm = { name: 'Bank app', redirect_uris: 'https://bank.example/callback', ...blankClientFields };
  const { client_type: _type, ...editForm } = validForm;
  const editOf = (client: ClientRecord, boxes: Record<string, string> = {}) => ({ ...editForm, name: client.name, redirect_uris: client.redirectUris.join('\n'), ...boxes });

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('refusals', () => {
    it('refuses the registration and edit forms without the CSRF token, writing nothing', async () => {
      const count = await app.store.clients.count();
      const before = await lastEventId(app);
      const created = await admin.browser.postForm(`${app.url}/admin/clients`, { ...validForm, [PAR]: 'on', [DPOP]: 'on' });
      expect(created.status).toBe(403);
      const client = await register('Guarded', { requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
      const afterRegister = await lastEventId(app);
      // A forged edit unticking both boxes (an unticked box is not sent).
      const edited = await admin.browser.postForm(`${app.url}/admin/clients/${client.clientId}`, editOf(client));
      expect(edited.status).toBe(403);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect(await app.store.clients.count()).toBe(count + 1);
      expect(afterRegister).toBeGreaterThan(before);
      expect(await lastEventId(app)).toBe(afterRegister);
    });

    it.each([PAR, DPOP])('refuses a %s value no browser sends, on the registration and the edit form, writing nothing', async (box) => {
      const count = await app.store.clients.count();
      const created = await admin.post('/admin/clients', { ...validForm, [box]: 'true' });
      expect(created.status).toBe(400);
      expect(fieldError(created, box)).toBe('this box is ticked or not: any other value is not from this form');
      expect(tagOf(created, box)).toContain('aria-invalid="true"');
      expect(await app.store.clients.count()).toBe(count);

      const client = await register('Edited', { requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
      const before = await lastEventId(app);
      const edited = await admin.post(`/admin/clients/${client.clientId}`, editOf(client, { [PAR]: 'on', [DPOP]: 'on', [box]: 'off' }));
      expect(edited.status).toBe(400);
      expect(fieldError(edited, box)).toContain('ticked or not');
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses a machine client that must push its requests (it makes none), keeping the form as typed, writing nothing', async () => {
      const count = await app.store.clients.count();
      const answer = await admin.post('/admin/clients', { ...validForm, redirect_uris: '', machine: 'on', [PAR]: 'on', [DPOP]: 'on' });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, PAR)).toBe('a machine client makes no authorization request (client credentials only): there is nothing to push');
      expect(answer.body).toContain(`<li><a href="#${PAR}">`);
      expect(tagOf(answer, PAR)).toContain('checked');
      expect(tagOf(answer, DPOP)).toContain('checked');
      expect(await app.store.clients.count()).toBe(count);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password before unticking a box, writing nothing', async () => {
      const client = await register('Protected later', { requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
      await asStaleAdmin(app, clock, 'stale-dpop@example.com', async (stale) => {
        const before = await lastEventId(app);
        const answer = await stale.post(`/admin/clients/${client.clientId}`, editOf(client, { [PAR]: 'on' }));
        expect(isConfirmPage(answer)).toBe(true);
        expect(await app.store.clients.findById(client.clientId)).toEqual(client);
        expect(await lastEventId(app)).toBe(before);
      });
    });
  });

  it('offers both boxes unticked, registers a client with both ticked, audited, and shows both on its page', async () => {
    const form = await admin.page('/admin/clients/new');
    for (const box of [PAR, DPOP]) {
      expect(tagOf(form, box)).toMatch(new RegExp(`name="${box}" type="checkbox" value="on"`));
      expect(tagOf(form, box)).not.toContain('checked');
      expect(form.body).toContain(`id="${box}-help"`);
    }
    const answer = await admin.post('/admin/clients', { ...validForm, client_type: 'public', [PAR]: 'on', [DPOP]: 'on' });
    expect(answer.status, answer.body).toBe(200);
    const clientId = inputValue(answer, 'client_id') ?? '';
    expect(await app.store.clients.findById(clientId)).toMatchObject({ clientType: 'public', requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    expect((await events('client.created'))[0]).toMatchObject({ subject: clientId, details: { [PAR]: true, [DPOP]: true } });

    const page = await admin.page(`/admin/clients/${clientId}`);
    expect(page.body).toMatch(/data-testid="par">required</);
    expect(page.body).toMatch(/data-testid="dpop">required: every token request carries a DPoP proof</);
    for (const box of [PAR, DPOP]) expect(tagOf(page, box)).toContain('checked');
  });

  it('registers a client with neither rule when the boxes are left unticked, as before', async () => {
    const answer = await admin.post('/admin/clients', validForm);
    expect(answer.status).toBe(200);
    const clientId = inputValue(answer, 'client_id') ?? '';
    expect(await app.store.clients.findById(clientId)).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
    const page = await admin.page(`/admin/clients/${clientId}`);
    expect(page.body).toMatch(/data-testid="par">not required</);
    expect(page.body).toMatch(/data-testid="dpop">optional: bound when the application sends a DPoP proof</);
  });

  it('ticks and unticks each box on the edit form, round trip, auditing what changed by its registration name', async () => {
    const client = await register('Round trip');
    const on = await admin.post(`/admin/clients/${client.clientId}`, editOf(client, { [PAR]: 'on', [DPOP]: 'on' }));
    expect(on.status).toBe(303);
    expect(await app.store.clients.findById(client.clientId)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    expect((await events('client.updated'))[0]).toMatchObject({ subject: client.clientId, details: { changed: [PAR, DPOP] } });
    const shown = await admin.page(`/admin/clients/${client.clientId}`);
    for (const box of [PAR, DPOP]) expect(tagOf(shown, box)).toContain('checked');

    const off = await admin.post(`/admin/clients/${client.clientId}`, editOf(client, { [PAR]: 'on' }));
    expect(off.status).toBe(303);
    expect(await app.store.clients.findById(client.clientId)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: false });
    expect((await events('client.updated'))[0]).toMatchObject({ details: { changed: [DPOP] } });
  });

  it("shows a machine client's edit form with the DPoP box only, which it may tick", async () => {
    const machine = await register('Nightly job', { machine: true, redirectUris: [] });
    const page = await admin.page(`/admin/clients/${machine.clientId}`);
    expect(tagOf(page, PAR)).toBe('');
    expect(tagOf(page, DPOP)).not.toBe('');
    const answer = await admin.post(`/admin/clients/${machine.clientId}`, { name: machine.name, [DPOP]: 'on' });
    expect(answer.status).toBe(303);
    expect(await app.store.clients.findById(machine.clientId)).toMatchObject({ dpopBoundAccessTokens: true, requirePushedAuthorizationRequests: false });
  });
});
