// The Registration admin screen (issue 24): dynamic client registration's mode (the server's configuration, shown
// read-only with how to change it) and its initial access tokens. Abuse first: who may see, create and revoke
// (anonymous visitors, non-administrators, a POST without this session's CSRF token, a stale sign-in creating a
// token), each writing nothing; a refused form (a bad number of uses, an expiry in the past, beyond a year, or not a
// date) comes back with its error and writes nothing; an unknown token id is a 404. Then: a new token is shown once
// (read-only, never on the list, stored only as its hash), listed with its id, uses left, used, expiry and creator,
// audited; it registers an application at POST /register; revoking it stops it and is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import type { Browser, Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStaleAdminAsked, expectStrictAdminPage, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { appWithAdminPerTest, asStaleAdmin, eventsSince, fieldError, inputValue, lastEventId, noticeOf, tagOf } from './admin-screen-helpers.js';

const DAY = 24 * 60 * 60 * 1000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A time as the datetime-local input sends it (UTC on this screen). */
const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/** The rows of the tokens table: the token ids, in the page's order. */
const listedIds = (page: Page) => [...page.body.matchAll(/<td><code>([^<]+)<\/code>/g)].map((match) => match[1]);

describe('admin: the Registration screen (issue 24)', () => {
  describe('with DYNAMIC_REGISTRATION=token', () => {
    const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    let app: RunningApp;
    let admin: SignedInAdmin;
    let serial = 0;
    const unique = (prefix: string) => `${prefix}-${(serial += 1)}.${process.pid}@example.com`;

    beforeAll(async () => {
      app = await startApp({ clock, env: { DYNAMIC_REGISTRATION: 'token' } });
    });
    afterAll(async () => {
      await app?.stop();
    });
    beforeAll(async () => {
      admin = await signedInAdmin(app);
    });

    /** Creates a token through the form; returns the token and its public id. */
    async function createToken(fields: Record<string, string> = { uses: '', expires: '' }): Promise<{ token: string; id: string; page: Page }> {
      const page = await admin.post('/admin/registration/tokens', fields);
      expect(page.status, page.body).toBe(200);
      const token = inputValue(page, 'registration_token') ?? '';
      const record = (await app.store.registrationTokens.list()).find((row) => row.tokenHash === hashSecret(token));
      return { token, id: record?.id ?? '', page };
    }

    describe('who may see, create and revoke', () => {
      let plain: Browser;
      let id: string;
      const routes = (): AdminRoute[] => [
        { method: 'GET', path: '/admin/registration' },
        { method: 'POST', path: '/admin/registration/tokens', form: { uses: '1', expires: '' }, sensitive: true },
        { method: 'POST', path: `/admin/registration/tokens/${id}/revoke` },
      ];

      beforeAll(async () => {
        id = (await createToken()).id;
        plain = await signedInNonAdmin(app, unique('plain'));
      });

      it('sends anonymous visitors to the login page and refuses non-administrators, writing nothing', async () => {
        const count = (await app.store.registrationTokens.list()).length;
        await expectAnonymousSentToLogin(app, routes());
        await expectNonAdminRefused(app, plain, routes(), id);
        expect(await app.store.registrationTokens.list()).toHaveLength(count);
      });

      it('refuses a POST without this session’s CSRF token, writing nothing', async () => {
        const count = (await app.store.registrationTokens.list()).length;
        await expectCsrfRefused(app, admin, await signedInAdmin(app, unique('other-admin')), routes());
        expect(await app.store.registrationTokens.list()).toHaveLength(count);
      });

      it('asks an administrator who signed in more than 15 minutes ago for the password before creating a token, writing nothing', async () => {
        const count = (await app.store.registrationTokens.list()).length;
        await expectStaleAdminAsked(app, routes(), (body) => asStaleAdmin(app, clock, unique('stale'), body));
        expect(await app.store.registrationTokens.list()).toHaveLength(count);
      });

      it('shows every page under the strict policy, each POST form with the CSRF token', async () => {
        expectStrictAdminPage(await admin.page('/admin/registration'), 'registration');
      });
    });

    describe('refused forms', () => {
      const cases: [string, Record<string, string>, 'uses' | 'expires'][] = [
        ['uses not a number', { uses: 'lots', expires: '' }, 'uses'],
        ['no use at all', { uses: '0', expires: '' }, 'uses'],
        ['more than 10,000 uses', { uses: '10001', expires: '' }, 'uses'],
        ['a negative number of uses', { uses: '-1', expires: '' }, 'uses'],
        ['an expiry that is not a date', { uses: '', expires: 'next tuesday' }, 'expires'],
        ['an expiry on a day that does not exist', { uses: '', expires: '2030-02-30T10:00' }, 'expires'],
        ['an expiry in the past', { uses: '', expires: localInput(Date.now() - DAY) }, 'expires'],
        ['an expiry beyond a year', { uses: '', expires: localInput(Date.now() + 400 * DAY) }, 'expires'],
      ];
      for (const [label, fields, field] of cases) {
        it(`refuses ${label} at its field, keeps what was typed, and writes nothing`, async () => {
          const count = (await app.store.registrationTokens.list()).length;
          const before = await lastEventId(app);
          const answer = await admin.post('/admin/registration/tokens', fields);
          expect(answer.status, answer.body).toBe(400);
          expect(fieldError(answer, field)).toBeTruthy();
          expect(tagOf(answer, field)).toContain('aria-invalid="true"');
          expect(answer.body).not.toContain('id="registration_token"');
          expect(await app.store.registrationTokens.list()).toHaveLength(count);
          expect(await lastEventId(app)).toBe(before);
        });
      }

      it('refuses a field sent twice, writing nothing', async () => {
        const count = (await app.store.registrationTokens.list()).length;
        const answer = await admin.browser.request(`${app.url}/admin/registration/tokens`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams([
            ['csrf', await admin.csrf()],
            ['uses', '1'],
            ['uses', '2'],
          ]).toString(),
        });
        expect(answer.status).toBe(400);
        expect(await app.store.registrationTokens.list()).toHaveLength(count);
      });

      it('answers 404 for revoking a token that does not exist (or was revoked already), writing nothing', async () => {
        const before = await lastEventId(app);
        expect((await admin.post('/admin/registration/tokens/no-such-token/revoke', {})).status).toBe(404);
        expect(await lastEventId(app)).toBe(before);
      });
    });

    it('shows the mode, read-only, with how to change it, and the registration endpoint', async () => {
      const page = await admin.page('/admin/registration');
      expect(page.body).toContain('<a href="/admin/registration" aria-current="page">Registration</a>');
      expect(page.body).toMatch(/data-testid="registration-mode"><strong>With an initial access token<\/strong>/);
      expect(page.body).toContain('DYNAMIC_REGISTRATION=token');
      expect(page.body).toContain('restart');
      expect(page.body).toContain(`<code>${app.config.issuer}/register</code>`);
      // Read-only: no form changes the mode.
      expect(page.body).not.toMatch(/name="mode"|name="dynamic_registration"/);
    });

    it('creates a token shown once (read-only), stored as its hash, listed by id with its counters and creator, audited', async () => {
      const expiresAt = clock.now() + 7 * DAY;
      const before = await lastEventId(app);
      const { token, id, page } = await createToken({ uses: '3', expires: localInput(expiresAt) });
      expect(token).toMatch(TOKEN);
      expect(tagOf(page, 'registration_token')).toContain('readonly');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain('This token is shown only now.');
      const stored = (await app.store.registrationTokens.list()).find((row) => row.id === id);
      expect(stored).toMatchObject({ tokenHash: hashSecret(token), usesLeft: 3, used: 0, createdBy: admin.user.id, expiresAt: Math.floor(expiresAt / 60_000) * 60_000 });
      const events = await eventsSince(app, before);
      expect(events.map((event) => [event.type, event.actor])).toEqual([['registration_token.created', admin.user.id]]);
      expect(JSON.stringify(events)).not.toContain(token);

      const list = await admin.page('/admin/registration');
      expect(list.body).not.toContain(token);
      expect(listedIds(list)).toContain(id);
      const row = new RegExp(`<tr>\\s*<td><code>${id}</code></td>\\s*<td>3</td>\\s*<td>0</td>\\s*<td><time>[^<]+</time></td>\\s*<td>${admin.user.email}</td>`).exec(list.body);
      expect(row, 'the token’s row').not.toBeNull();
    });

    it('creates a token with no limit and no expiry when both are left empty', async () => {
      const { id } = await createToken();
      expect((await app.store.registrationTokens.list()).find((row) => row.id === id)).toMatchObject({ usesLeft: null, expiresAt: null });
      const list = await admin.page('/admin/registration');
      expect(list.body).toMatch(new RegExp(`<td><code>${id}</code></td>\\s*<td>unlimited</td>\\s*<td>0</td>\\s*<td>never</td>`));
    });

    it('registers an application at POST /register with the token, which the list then counts', async () => {
      const { token, id } = await createToken({ uses: '2', expires: '' });
      const response = await fetch(`${app.url}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ redirect_uris: ['https://registered.example/callback'], client_name: 'Registered here' }),
      });
      expect(response.status, await response.clone().text()).toBe(201);
      const list = await admin.page('/admin/registration');
      expect(list.body).toMatch(new RegExp(`<td><code>${id}</code></td>\\s*<td>1</td>\\s*<td>1</td>`));
      // The application is listed under Clients as registered dynamically.
      const clients = await admin.page('/admin/clients');
      expect(clients.body).toMatch(/Registered here<\/a> <span class="badge badge-warn">Third-party<\/span> <span class="badge badge-info">Registered dynamically<\/span>/);
    });

    it('revokes a token: it leaves the list, registers nothing more, and the revocation is audited', async () => {
      const { token, id } = await createToken({ uses: '5', expires: '' });
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/registration/tokens/${id}/revoke`, {});
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/registration?done=revoked`);
      expect((await app.store.registrationTokens.list()).some((row) => row.id === id)).toBe(false);
      expect((await eventsSince(app, before)).map((event) => [event.type, event.actor])).toEqual([['registration_token.revoked', admin.user.id]]);
      expect(noticeOf(await admin.page('/admin/registration?done=revoked'))).toContain('The token was revoked');
      const refused = await fetch(`${app.url}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ redirect_uris: ['https://registered.example/callback'] }),
      });
      expect(refused.status).toBe(401);
    });

    it('marks an expired token and one with no use left', async () => {
      const { token, id: usedUp } = await createToken({ uses: '1', expires: '' });
      await app.store.registrationTokens.use(hashSecret(token), clock.now());
      const { id: expiring } = await createToken({ uses: '', expires: localInput(clock.now() + DAY) });
      clock.advance(2 * DAY);
      try {
        const list = await signedInAdmin(app, unique('later')).then((later) => later.page('/admin/registration'));
        expect(list.body).toContain(`<td><code>${usedUp}</code> <span class="badge badge-bad">used up</span></td>`);
        expect(list.body).toContain(`<td><code>${expiring}</code> <span class="badge badge-bad">expired</span></td>`);
      } finally {
        clock.advance(-2 * DAY);
      }
    });
  });

  describe('with the default configuration', () => {
    const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    let app: RunningApp;
    let admin: SignedInAdmin;
    appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

    it('says registration is closed, that tokens are not used in this mode, and that none exists', async () => {
      const page = await admin.page('/admin/registration');
      expect(page.body).toMatch(/data-testid="registration-mode"><strong>Closed<\/strong>/);
      expect(page.body).toContain('DYNAMIC_REGISTRATION=closed');
      expect(page.body).toContain('in the current mode they are not used');
      expect(page.body).toContain('No initial access token exists.');
      expect(app.config.dynamicRegistration).toBe('closed');
    });
  });
});
