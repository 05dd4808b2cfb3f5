// Who may use the admin screens (issue 7; OWASP ASVS V4.1, V4.2.2, V3.7.1): every route refuses anonymous
// visitors (to the login page and back), signed-in non-admins (403), forms without this session's CSRF token
// (403), and sensitive actions of a sign-in older than 15 minutes (a password prompt; the list of sensitive actions
// is src/admin/recent-sign-in.ts's, tested end to end in admin-reauthentication.test.ts). Each screen's own test
// file covers what its routes do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { addAdmin, signedInAdmin, signInToAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface AdminRoute {
  method: 'GET' | 'POST';
  /** The path; `:user`, `:client`, `:kid` and `:token` are replaced with a real user id, client id, key id and initial access token id. */
  path: string;
  /** A valid form for a POST (the CSRF token is added by the test). */
  form?: Record<string, string>;
  /** Needs a sign-in within the last 15 minutes. */
  sensitive?: boolean;
}

/** Every admin route. A route added to src/admin without a line here is a route whose access nobody tested. */
const ROUTES: AdminRoute[] = [
  { method: 'GET', path: '/admin' },
  { method: 'POST', path: '/admin/sign-out' },
  { method: 'GET', path: '/admin/users' },
  { method: 'GET', path: '/admin/users?q=target' },
  { method: 'GET', path: '/admin/users/new' },
  { method: 'POST', path: '/admin/users', form: { email: 'new@example.com', name: 'New', password: 'a brand new passphrase for you' } },
  { method: 'POST', path: '/admin/users', form: { email: 'new-admin@example.com', name: 'New admin', generate: 'on', admin: 'on' }, sensitive: true },
  { method: 'GET', path: '/admin/users/:user' },
  { method: 'POST', path: '/admin/users/:user', form: { email: 'target@example.com', name: 'Target', email_verified: 'on' } },
  { method: 'POST', path: '/admin/users/:user', form: { email: 'target@example.com', name: 'Target', admin: 'on' }, sensitive: true },
  { method: 'POST', path: '/admin/users/:user', form: { email: 'moved@example.com', name: 'Target' }, sensitive: true },
  { method: 'POST', path: '/admin/users/:user/password', form: { password: 'a brand new passphrase for you' }, sensitive: true },
  { method: 'POST', path: '/admin/users/:user/password', form: { generate: 'on' }, sensitive: true },
  { method: 'POST', path: '/admin/users/:user/disable' },
  { method: 'POST', path: '/admin/users/:user/enable' },
  { method: 'POST', path: '/admin/users/:user/sign-out-everywhere' },
  { method: 'POST', path: '/admin/users/:user/sessions/:sid/revoke' },
  // Issue 24: taking an application's access away is not sensitive, as signing out is not.
  { method: 'POST', path: '/admin/users/:user/connected-apps/:client/remove' },
  { method: 'GET', path: '/admin/users/:user/delete' },
  { method: 'POST', path: '/admin/users/:user/delete', sensitive: true },
  { method: 'GET', path: '/admin/audit' },
  { method: 'GET', path: '/admin/audit?type=user.&outcome=success' },
  { method: 'GET', path: '/admin/audit/export?type=user.' },
  { method: 'GET', path: '/admin/clients' },
  { method: 'GET', path: '/admin/clients/new' },
  {
    method: 'POST',
    path: '/admin/clients',
    form: { name: 'Wiki', redirect_uris: 'https://wiki.example.com/callback', post_logout_redirect_uris: '', backchannel_logout_uri: '', client_type: 'confidential' },
    sensitive: true,
  },
  { method: 'GET', path: '/admin/clients/:client' },
  // A renaming (the client of addClient keeps its URIs) is not sensitive; a change of URI or rule is.
  { method: 'POST', path: '/admin/clients/:client', form: { name: 'Wiki', redirect_uris: 'https://rp.example/callback', post_logout_redirect_uris: '', backchannel_logout_uri: '' } },
  {
    method: 'POST',
    path: '/admin/clients/:client',
    form: { name: 'Wiki', redirect_uris: 'https://wiki.example.com/callback', post_logout_redirect_uris: '', backchannel_logout_uri: '' },
    sensitive: true,
  },
  { method: 'POST', path: '/admin/clients/:client', form: { name: 'Test app', redirect_uris: 'https://rp.example/callback', backchannel_logout_uri: 'https://evil.example/bc' }, sensitive: true },
  { method: 'POST', path: '/admin/clients/:client', form: { name: 'Test app', redirect_uris: 'https://rp.example/callback', require_mfa: 'on' }, sensitive: true },
  { method: 'POST', path: '/admin/clients/:client', form: { name: 'Test app', redirect_uris: 'https://rp.example/callback', third_party: 'on' }, sensitive: true },
  { method: 'POST', path: '/admin/clients/:client/rotate-secret', sensitive: true },
  { method: 'GET', path: '/admin/clients/:client/delete' },
  { method: 'POST', path: '/admin/clients/:client/delete', sensitive: true },
  // Issue 26: the client's back-channel logout log; Redeliver only re-sends to the registered URI (not sensitive).
  { method: 'GET', path: '/admin/clients/:client/deliveries' },
  { method: 'POST', path: '/admin/clients/:client/deliveries/msg_none/redeliver' },
  // Issue 24: dynamic client registration's mode and initial access tokens.
  { method: 'GET', path: '/admin/registration' },
  { method: 'POST', path: '/admin/registration/tokens', form: { uses: '1', expires: '' }, sensitive: true },
  { method: 'POST', path: '/admin/registration/tokens/:token/revoke' },
  { method: 'GET', path: '/admin/keys' },
  { method: 'POST', path: '/admin/keys/rotate', sensitive: true },
  { method: 'GET', path: '/admin/keys/:kid/revoke' },
  { method: 'POST', path: '/admin/keys/:kid/revoke', sensitive: true },
];

const MINUTE = 60_000;

describe('admin screens: access control (issue 7, OWASP ASVS V4)', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let admin: SignedInAdmin;
  let target: UserRecord;
  let client: TestClient;

  let targetSid = 'no-session';
  const tokenId = randomId();
  const fill = (path: string) =>
    path.replace(':user', target.id).replace(':client', client.clientId).replace(':kid', app.keyRing.signingKey.kid).replace(':sid', targetSid).replace(':token', tokenId);

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
    await addAdmin(app);
    admin = await signedInAdmin(app);
    target = await addUser(app, 'target@example.com', { name: 'Target Person' });
    await addUser(app, 'plain@example.com', { name: 'Plain Person' });
    client = await addClient(app);
    await app.store.registrationTokens.create({ id: tokenId, tokenHash: hashSecret(randomSecret()), usesLeft: null, createdBy: 'cli', createdAt: clock.now(), expiresAt: null });
    const targetBrowser = new Browser();
    expect((await signInToAdmin(app, 'target@example.com', targetBrowser)).status).toBe(303);
    targetSid = (await app.store.sessions.listForUser(target.id, clock.now()))[0]?.sid ?? targetSid;
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('anonymous visitors', () => {
    it.each(ROUTES.map((r) => [r.method, r.path, r] as const))('%s %s sends them to the login page, and changes nothing', async (_m, _p, route) => {
      const [before] = await app.store.audit.list({ limit: 1 });
      const browser = new Browser();
      const answer = route.method === 'GET' ? await browser.get(app.url + fill(route.path)) : await browser.postForm(app.url + fill(route.path), route.form ?? {});
      expect(answer.status).toBe(303);
      const location = new URL(answer.location ?? '');
      expect(location.pathname).toBe('/login');
      // A GET comes back to the page asked for; a POST to the admin home (a form is never replayed after sign-in).
      expect(location.searchParams.get('return_to')).toBe(route.method === 'GET' ? fill(route.path) : '/admin');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const [after] = await app.store.audit.list({ limit: 1 });
      expect(after?.id).toBe(before?.id);
    });

    it('come back to the page they asked for once they sign in, with a session cookie', async () => {
      const browser = new Browser();
      const first = await browser.get(`${app.url}/admin/users?q=ada`);
      const login = await browser.get(first.location ?? '');
      expect(login.status).toBe(200);
      expect(login.body).toContain('to continue to Gatehouse');
      const answer = await browser.postForm(`${app.url}/login`, { ...formFields(login.body), email: 'root@example.com', password: PASSWORD });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/users?q=ada`);
      const home = await browser.get(`${app.url}/admin`);
      expect(home.status).toBe(200);
    });

    it('are shown the same refusal for a wrong password, which is audited as signin.failed', async () => {
      const browser = new Browser();
      const answer = await signInToAdmin(app, 'root@example.com', browser, 'not the password at all');
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('Incorrect email or password.');
      const [last] = await app.store.audit.list({ limit: 1 });
      expect(last).toMatchObject({ type: 'signin.failed', outcome: 'failure', clientId: null, details: { reason: 'wrong_password' } });
    });

    it('cannot be sent elsewhere after signing in: return_to accepts only admin pages of this issuer', async () => {
      for (const evil of ['https://evil.example/admin', '//evil.example/admin', '/\\evil.example/admin', '/token', '/admin/../token', '/adminx', 'admin']) {
        const browser = new Browser();
        const page = await browser.get(`${app.url}/login?${new URLSearchParams({ return_to: evil })}`);
        expect(page.status, evil).toBe(400);
        // No sign-in form: the page's only form is the footer's language switcher (issue 25).
        expect([...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((match) => match[1])).toEqual(['/language']);
        const posted = await browser.postForm(`${app.url}/login`, { return_to: evil, csrf: 'x', email: 'root@example.com', password: PASSWORD });
        expect(posted.status, evil).toBe(400);
        expect(posted.location).toBeNull();
      }
    });

    it('cannot sign in with a login form whose CSRF token belongs to another browser or another return_to', async () => {
      const browser = new Browser();
      const first = await browser.get(`${app.url}/admin`);
      const login = await browser.get(first.location ?? '');
      const fields = formFields(login.body);
      const stranger = new Browser();
      await stranger.get(`${app.url}/login?return_to=%2Fadmin`);
      const foreign = await stranger.postForm(`${app.url}/login`, { ...fields, email: 'root@example.com', password: PASSWORD });
      expect(foreign.status).toBe(403);
      const elsewhere = await browser.postForm(`${app.url}/login`, { ...fields, return_to: '/admin/users', email: 'root@example.com', password: PASSWORD });
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.location).toBeNull();
    });
  });

  describe('signed-in people without the admin flag', () => {
    let plain: Browser;

    beforeAll(async () => {
      plain = new Browser();
      expect((await signInToAdmin(app, 'plain@example.com', plain)).status).toBe(303);
    });

    it.each(ROUTES.map((r) => [r.method, r.path, r] as const))('%s %s answers a 403 page and changes nothing', async (_m, _p, route) => {
      const [before] = await app.store.audit.list({ limit: 1 });
      const answer = route.method === 'GET' ? await plain.get(app.url + fill(route.path)) : await plain.postForm(app.url + fill(route.path), { csrf: 'x', ...route.form });
      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      expect(answer.body).toContain('Administrators only');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const [after] = await app.store.audit.list({ limit: 1 });
      expect(after?.id).toBe(before?.id);
    });
  });

  describe('administrators', () => {
    it.each(ROUTES.filter((r) => r.method === 'GET').map((r) => [r.path, r] as const))('GET %s answers 200, never cached, under the strict CSP', async (_p, route) => {
      const page = await admin.browser.get(app.url + fill(route.path));
      expect(page.status, page.body).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|\son[a-z]+="/i);
      // Every form that changes anything (POST) carries the session's CSRF token; search forms are GET.
      const forms = page.body.match(/<form\b[\s\S]*?<\/form>/g) ?? [];
      for (const form of forms) {
        if (/<form\b[^>]*method="get"/i.test(form)) expect(form).not.toContain('name="csrf"');
        else expect(form).toMatch(/name="csrf" value="[A-Za-z0-9_-]{43}"/);
      }
    });

    it.each(ROUTES.filter((r) => r.method === 'POST').map((r) => [r.path, r] as const))(
      "POST %s without the CSRF token, or with another session's, is refused with 403 and changes nothing",
      async (_p, route) => {
        const other = await signedInAdmin(app, 'second-admin@example.com');
        const [before] = await app.store.audit.list({ limit: 1 });
        for (const csrf of [undefined, '', 'forged', await other.csrf()]) {
          const fields = csrf === undefined ? { ...route.form } : { ...route.form, csrf };
          const answer = await admin.browser.postForm(app.url + fill(route.path), fields);
          expect(answer.status).toBe(403);
          expect(answer.body).toContain('did not come from this site');
        }
        const [after] = await app.store.audit.list({ limit: 1 });
        expect(after?.id).toBe(before?.id);
        expect((await admin.browser.get(`${app.url}/admin`)).status).toBe(200);
      },
    );

    it.each(ROUTES.filter((r) => r.sensitive).map((r) => [r.path, r] as const))(
      'POST %s after a sign-in older than 15 minutes asks for the password first and changes nothing',
      async (_p, route) => {
        const stale = await signedInAdmin(app, 'stale-admin@example.com');
        clock.advance(16 * MINUTE);
        try {
          const [before] = await app.store.audit.list({ limit: 1 });
          const answer = await stale.post(fill(route.path), route.form ?? {});
          expect(answer.status).toBe(403);
          expect(answer.body).toContain('Confirm it’s you');
          expect(answer.body).toContain('name="confirm_password"');
          const [after] = await app.store.audit.list({ limit: 1 });
          expect(after?.id).toBe(before?.id);
        } finally {
          // Back to the present, so that the other sessions of this file never idle out.
          clock.advance(-16 * MINUTE);
          await app.store.sessions.deleteForUser(stale.user.id);
        }
      },
    );

    it('other methods than GET and POST change nothing (404)', async () => {
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const answer = await admin.browser.request(`${app.url}/admin`, { method });
        expect(answer.status).toBe(404);
      }
    });
  });

  describe('the dashboard', () => {
    it('counts users, clients, active sessions, and sign-ins and failures of the last 24 hours', async () => {
      const page = await admin.page('/admin');
      const stat = (label: string) => Number(new RegExp(`<span class="stat-value">(\\d+)</span> <span class="stat-label">${label}</span>`).exec(page.body)?.[1]);
      expect(stat('users')).toBe(await app.store.users.count());
      expect(stat('clients')).toBe(1);
      expect(stat('active sessions')).toBe(await app.store.sessions.countLive(clock.now()));
      const day = clock.now() - 24 * 60 * MINUTE;
      expect(stat('sign-ins, last 24 h')).toBe(await app.store.audit.count({ type: 'signin.succeeded', since: day }));
      expect(stat('sign-ins, last 24 h')).toBeGreaterThan(0);
      expect(stat('failed sign-ins, last 24 h')).toBe(await app.store.audit.count({ type: 'signin.failed', since: day }));
    });
  });

  describe('signing out', () => {
    it("ends the administrator's session: the next admin page asks to sign in again", async () => {
      const leaving = await signedInAdmin(app, 'leaving-admin@example.com');
      const answer = await leaving.post('/admin/sign-out', {});
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('You are signed out');
      const next = await leaving.browser.get(`${app.url}/admin`);
      expect(next.status).toBe(303);
      expect(await app.store.sessions.listForUser(leaving.user.id, clock.now())).toEqual([]);
    });
  });
});
