// Issue 19, F2: every admin action by which a left-open or stolen admin session could take over an account or an
// application needs a sign-in within the last 15 minutes, or the password re-entered (src/admin/recent-sign-in.ts):
// setting a password (another administrator's included), changing an email address, registering a client,
// changing any of its URIs or its multi-factor rule, deleting it. A stale session gets the "Confirm it's you"
// page and nothing is written; with the password it goes through; a fresh session goes straight through. The
// attack this reproduces: a session signed in an hour earlier set another administrator's password and used it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import type { ClientRecord, UserRecord } from '../../src/store/records.js';
import { addAdmin, signedInAdmin, signInToAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const HOUR = 60 * 60 * 1000;
const STALE_MS = 16 * 60 * 1000;
const NEW_PASSWORD = 'the attacker now knows this one';

const isConfirmPage = (page: Page) => page.status === 403 && page.body.includes('<h1>Confirm it’s you</h1>');
const inputValue = (page: Page, id: string) => new RegExp(`<input id="${id}"[^>]*\\bvalue="([^"]*)"`).exec(page.body)?.[1] ?? null;

describe('admin: re-authentication before account and application takeover actions (issue 19, F2)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let people = 0;

  /** A new administrator, signed in now. */
  function freshAdmin(): Promise<SignedInAdmin> {
    people += 1;
    return signedInAdmin(app, `admin${people}@example.com`);
  }

  /** A new administrator whose sign-in is older than 15 minutes (the session itself is still alive). */
  async function staleAdmin(age = STALE_MS): Promise<SignedInAdmin> {
    const admin = await freshAdmin();
    clock.advance(age);
    return admin;
  }

  function person(): Promise<UserRecord> {
    people += 1;
    return addUser(app, `person${people}@example.com`, { name: `Person ${people}` });
  }

  function register(name: string, input: Partial<NewClientInput> = {}): Promise<ClientRecord> {
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    return createClient(ctx, { name, redirectUris: ['https://rp.example/callback'], ...input }).then(({ client }) => client);
  }

  async function lastEventId(): Promise<number> {
    return (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
  }

  async function eventTypesSince(after: number): Promise<string[]> {
    return (await app.store.audit.list({ limit: 100 }))
      .filter((event) => event.id > after)
      .map((event) => event.type)
      .reverse();
  }

  /** Posts the "Confirm it's you" page back, as a browser would: its hidden fields, what is typed again, the password. */
  function confirm(admin: SignedInAdmin, page: Page, path: string, password: string, retyped: Record<string, string> = {}): Promise<Page> {
    const { csrf, ...fields } = formFields(page.body);
    expect(csrf).toBeTruthy();
    expect(page.body).toContain(`action="${path}"`);
    return admin.post(path, { ...fields, ...retyped, confirm_password: password });
  }

  beforeAll(async () => {
    app = await startApp({ clock });
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe("setting a user's password (POST /admin/users/:id/password)", () => {
    it("refuses a session signed in an hour ago that sets another administrator's password: the confirmation page, the password unchanged, nothing audited", async () => {
      const victim = await addAdmin(app, `victim${people}@example.com`, 'Victim Admin');
      const attacker = await staleAdmin(HOUR);
      const before = await lastEventId();
      const answer = await attacker.post(`/admin/users/${victim.id}/password`, { password: NEW_PASSWORD });
      expect(isConfirmPage(answer), answer.body).toBe(true);
      // The new password is not copied into the page: it is asked for once more, as for a new user.
      expect(answer.body).not.toContain(NEW_PASSWORD);
      expect(answer.body).toContain('Their new password, once more');
      expect((await app.store.users.findById(victim.id))?.passwordHash).toBe(victim.passwordHash);
      expect(await eventTypesSince(before)).toEqual([]);
      // The attack's last step fails: the password the attacker chose does not sign in as the victim.
      expect((await signInToAdmin(app, victim.email, new Browser(), NEW_PASSWORD)).status).toBe(401);
    });

    it('sets it once the password is re-entered and the new one typed again, end to end through the confirmation page', async () => {
      const user = await person();
      const admin = await staleAdmin();
      const path = `/admin/users/${user.id}/password`;
      const asked = await admin.post(path, { password: NEW_PASSWORD });
      expect(isConfirmPage(asked)).toBe(true);
      const wrong = await confirm(admin, asked, path, 'not my password at all', { password: NEW_PASSWORD });
      expect(isConfirmPage(wrong)).toBe(true);
      expect(wrong.body).toContain('That password is not correct.');
      expect((await app.store.users.findById(user.id))?.passwordHash).toBe(user.passwordHash);
      const before = await lastEventId();
      const right = await confirm(admin, wrong, path, PASSWORD, { password: NEW_PASSWORD });
      expect(right.status, right.body).toBe(303);
      expect(right.location).toBe(`${app.url}/admin/users/${user.id}?done=password`);
      expect(await verifyPassword((await app.store.users.findById(user.id))?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
      expect(await eventTypesSince(before)).toEqual(expect.arrayContaining(['admin.reauthenticated', 'user.password_set']));
    });

    it('generates one after the confirmation when "generate" was ticked, showing it once', async () => {
      const user = await person();
      const admin = await staleAdmin();
      const path = `/admin/users/${user.id}/password`;
      const asked = await admin.post(path, { generate: 'on' });
      expect(isConfirmPage(asked)).toBe(true);
      expect(asked.body).not.toContain('once more');
      const right = await confirm(admin, asked, path, PASSWORD);
      expect(right.status, right.body).toBe(200);
      const generated = inputValue(right, 'generated-password') ?? '';
      expect(await verifyPassword((await app.store.users.findById(user.id))?.passwordHash ?? '', generated)).toBe(true);
    });

    it('asks for the password up front on the form of a stale session', async () => {
      const user = await person();
      const admin = await staleAdmin();
      const page = await admin.page(`/admin/users/${user.id}`);
      const form = new RegExp(`<form method="post" action="/admin/users/${user.id}/password"[\\s\\S]*?</form>`).exec(page.body)?.[0] ?? '';
      expect(form).toMatch(/name="confirm_password" type="password" autocomplete="current-password" required/);
      const sent = await admin.post(`/admin/users/${user.id}/password`, { password: NEW_PASSWORD, confirm_password: PASSWORD });
      expect(sent.status, sent.body).toBe(303);
    });

    it('lets a fresh session set it straight away', async () => {
      const user = await person();
      const admin = await freshAdmin();
      const answer = await admin.post(`/admin/users/${user.id}/password`, { password: NEW_PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      expect(await verifyPassword((await app.store.users.findById(user.id))?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
    });

    it('answers 404 for an unknown user before asking for any password', async () => {
      const admin = await staleAdmin();
      expect((await admin.post('/admin/users/no-such-user/password', { password: NEW_PASSWORD })).status).toBe(404);
    });
  });

  describe("changing a user's email (POST /admin/users/:id)", () => {
    it('refuses a stale session: the confirmation page, the email unchanged, nothing audited', async () => {
      const user = await person();
      const admin = await staleAdmin();
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${user.id}`, { email: 'attacker@evil.example', name: user.name ?? '' });
      expect(isConfirmPage(answer), answer.body).toBe(true);
      expect(await app.store.users.findById(user.id)).toEqual(user);
      expect(await app.store.users.findByEmail('attacker@evil.example')).toBeNull();
      expect(await eventTypesSince(before)).toEqual([]);
    });

    it('changes it once the password is re-entered', async () => {
      const user = await person();
      const admin = await staleAdmin();
      const path = `/admin/users/${user.id}`;
      const asked = await admin.post(path, { email: 'moved@example.com', name: 'Moved' });
      expect(isConfirmPage(asked)).toBe(true);
      const right = await confirm(admin, asked, path, PASSWORD);
      expect(right.status, right.body).toBe(303);
      expect(await app.store.users.findById(user.id)).toMatchObject({ email: 'moved@example.com', name: 'Moved' });
    });

    it('needs no password for an edit that keeps the email (a new name), as before', async () => {
      const user = await person();
      const admin = await staleAdmin();
      const answer = await admin.post(`/admin/users/${user.id}`, { email: `  ${user.email} `, name: 'Only Renamed' });
      expect(answer.status, answer.body).toBe(303);
      expect(await app.store.users.findById(user.id)).toMatchObject({ email: user.email, name: 'Only Renamed' });
    });

    it('lets a fresh session change it straight away', async () => {
      const user = await person();
      const admin = await freshAdmin();
      const answer = await admin.post(`/admin/users/${user.id}`, { email: `fresh${people}@example.com`, name: '' });
      expect(answer.status, answer.body).toBe(303);
      expect((await app.store.users.findById(user.id))?.email).toBe(`fresh${people}@example.com`);
    });
  });

  describe('registering a client (POST /admin/clients)', () => {
    const form = {
      name: 'Takeover',
      redirect_uris: 'https://evil.example/callback\r\nhttps://evil.example/other',
      post_logout_redirect_uris: '',
      backchannel_logout_uri: '',
      client_type: 'confidential',
    };

    it('refuses a stale session: the confirmation page, no client, nothing audited', async () => {
      const admin = await staleAdmin();
      const [count, before] = [await app.store.clients.count(), await lastEventId()];
      const answer = await admin.post('/admin/clients', form);
      expect(isConfirmPage(answer), answer.body).toBe(true);
      expect(await app.store.clients.count()).toBe(count);
      expect(await eventTypesSince(before)).toEqual([]);
    });

    it('registers it once the password is re-entered, with every URI the form held', async () => {
      const admin = await staleAdmin();
      expect((await admin.page('/admin/clients/new')).body).toContain('name="confirm_password"');
      const asked = await admin.post('/admin/clients', { ...form, require_mfa: 'on' });
      expect(isConfirmPage(asked)).toBe(true);
      const right = await confirm(admin, asked, '/admin/clients', PASSWORD);
      expect(right.status, right.body).toBe(200);
      const stored = await app.store.clients.findById(inputValue(right, 'client_id') ?? '');
      expect(stored).toMatchObject({ name: 'Takeover', redirectUris: ['https://evil.example/callback', 'https://evil.example/other'], requireMfa: true });
    });

    it('lets a fresh session register it straight away', async () => {
      const admin = await freshAdmin();
      const answer = await admin.post('/admin/clients', form);
      expect(answer.status, answer.body).toBe(200);
      expect(await app.store.clients.findById(inputValue(answer, 'client_id') ?? '')).not.toBeNull();
    });
  });

  describe('editing a client (POST /admin/clients/:id)', () => {
    /** The edit form's fields for `client` as registered. */
    const formOf = (client: ClientRecord) => ({
      name: client.name,
      redirect_uris: client.redirectUris.join('\r\n'),
      post_logout_redirect_uris: client.postLogoutRedirectUris.join('\r\n'),
      backchannel_logout_uri: client.backchannelLogoutUri ?? '',
      ...(client.requireMfa ? { require_mfa: 'on' } : {}),
    });

    const settings = { postLogoutRedirectUris: ['https://rp.example/bye'], backchannelLogoutUri: 'https://rp.example/bc', requireMfa: true };

    it.each([
      ['a redirect URI', { redirect_uris: 'https://rp.example/callback\r\nhttps://evil.example/callback' }],
      ['the post-logout redirect URIs', { post_logout_redirect_uris: 'https://evil.example/bye' }],
      ['the back-channel logout URI', { backchannel_logout_uri: 'https://evil.example/bc' }],
      ['the back-channel logout URI, removed', { backchannel_logout_uri: '' }],
      ['the multi-factor rule, turned off', { require_mfa: undefined }],
      ['the refresh reuse grace (a longer window for a stolen token)', { refresh_reuse_grace: '300' }],
    ])('refuses a stale session that changes %s: the confirmation page, the client unchanged, nothing audited', async (_what, change) => {
      const client = await register(`Edited ${people++}`, settings);
      const admin = await staleAdmin();
      const before = await lastEventId();
      const fields = Object.fromEntries(Object.entries({ ...formOf(client), ...change }).filter((entry): entry is [string, string] => entry[1] !== undefined));
      const answer = await admin.post(`/admin/clients/${client.clientId}`, fields);
      expect(isConfirmPage(answer), answer.body).toBe(true);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect(await eventTypesSince(before)).toEqual([]);
    });

    it('changes the URIs once the password is re-entered, multi-line fields intact through the confirmation page', async () => {
      const client = await register(`Confirmed ${people++}`, settings);
      const admin = await staleAdmin();
      const path = `/admin/clients/${client.clientId}`;
      const asked = await admin.post(path, { ...formOf(client), redirect_uris: 'https://rp.example/callback\r\nhttps://rp.example/second' });
      expect(isConfirmPage(asked)).toBe(true);
      const right = await confirm(admin, asked, path, PASSWORD);
      expect(right.status, right.body).toBe(303);
      expect((await app.store.clients.findById(client.clientId))?.redirectUris).toEqual(['https://rp.example/callback', 'https://rp.example/second']);
    });

    it('needs no password to rename a client, or to post its form unchanged: a name grants nothing', async () => {
      const client = await register(`Renamed ${people++}`, settings);
      const admin = await staleAdmin();
      const unchanged = await admin.post(`/admin/clients/${client.clientId}`, formOf(client));
      expect(unchanged.status, unchanged.body).toBe(303);
      const renamed = await admin.post(`/admin/clients/${client.clientId}`, { ...formOf(client), name: 'A new name' });
      expect(renamed.status, renamed.body).toBe(303);
      expect(await app.store.clients.findById(client.clientId)).toMatchObject({ ...settings, name: 'A new name', redirectUris: client.redirectUris });
    });

    it('shows a refused form its errors first, without asking for a password', async () => {
      const client = await register(`Broken ${people++}`);
      const admin = await staleAdmin();
      const answer = await admin.post(`/admin/clients/${client.clientId}`, { ...formOf(client), redirect_uris: 'http://evil.example/cb' });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('uses http on a host that is not loopback');
    });

    it('lets a fresh session change them straight away', async () => {
      const client = await register(`Fresh ${people++}`, settings);
      const admin = await freshAdmin();
      const answer = await admin.post(`/admin/clients/${client.clientId}`, { ...formOf(client), backchannel_logout_uri: 'https://rp.example/new-bc' });
      expect(answer.status, answer.body).toBe(303);
      expect((await app.store.clients.findById(client.clientId))?.backchannelLogoutUri).toBe('https://rp.example/new-bc');
    });
  });

  describe('deleting a client (POST /admin/clients/:id/delete)', () => {
    it('refuses a stale session: the confirmation page, the client kept, nothing audited', async () => {
      const client = await register(`Kept ${people++}`);
      const admin = await staleAdmin();
      expect((await admin.page(`/admin/clients/${client.clientId}/delete`)).body).toContain('name="confirm_password"');
      const before = await lastEventId();
      const answer = await admin.post(`/admin/clients/${client.clientId}/delete`, {});
      expect(isConfirmPage(answer), answer.body).toBe(true);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect(await eventTypesSince(before)).toEqual([]);
    });

    it('deletes it once the password is re-entered', async () => {
      const client = await register(`Doomed ${people++}`);
      const admin = await staleAdmin();
      const path = `/admin/clients/${client.clientId}/delete`;
      const asked = await admin.post(path, {});
      const right = await confirm(admin, asked, path, PASSWORD);
      expect(right.status, right.body).toBe(303);
      expect(await app.store.clients.findById(client.clientId)).toBeNull();
    });

    it('lets a fresh session delete it straight away', async () => {
      const client = await register(`Gone ${people++}`);
      const admin = await freshAdmin();
      expect((await admin.post(`/admin/clients/${client.clientId}/delete`, {})).status).toBe(303);
      expect(await app.store.clients.findById(client.clientId)).toBeNull();
    });

    it('answers 404 for an unknown client before asking for any password', async () => {
      const admin = await staleAdmin();
      expect((await admin.post('/admin/clients/no-such-client/delete', {})).status).toBe(404);
      expect((await admin.post('/admin/clients/no-such-client', { name: 'x', redirect_uris: 'https://x.example/cb' })).status).toBe(404);
    });
  });
});
