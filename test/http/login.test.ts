import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2VerificationsPerformed, hashPassword } from '../../src/auth/password-hash.js';
import { hashSecret, randomSecret } from '../../src/auth/secrets.js';
import { createClient } from '../../src/manage/clients.js';
import type { UserRecord } from '../../src/store/records.js';
import { argon2Parameters, CURRENT_ARGON2 } from '../helpers/argon2.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const GENERIC = 'Incorrect email or password.';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The message of the page's alert, if it shows one. */
const alertOf = (page: Page) => /id="login-error">\s*<p class="error-summary-title">[^<]*<\/p>\s*<p>([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;
/** The Set-Cookie line an answer sent for `name`, if any. */
const setCookie = (page: Page, name: string) => page.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
/** A Content-Security-Policy header as directive → values. */
const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name = '', ...values]) => [name, values]),
  );

describe('the sign-in page (OIDC Core §3.1.2.3, OWASP ASVS V2 and V3)', () => {
  let app: RunningApp;
  let origin: string;
  let client: TestClient;
  let ada: UserRecord;

  /** Starts an authorization request in `browser` and returns the login page it leads to. */
  async function loginPage(browser: Browser, extra: Record<string, string> = {}): Promise<Page> {
    const page = await open(browser, app, (await authorizationUrl(client, extra)).url);
    expect(page.status, page.body).toBe(200);
    return page;
  }

  /** Posts the page's form with its own hidden fields, overridden by `fields` (undefined removes one). */
  function post(browser: Browser, page: Page, fields: Record<string, string | undefined>): Promise<Page> {
    const merged: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...formFields(page.body), ...fields })) if (value !== undefined) merged[name] = value;
    return browser.postForm(formAction(page.body, page.url), merged);
  }

  async function attempt(email: string, password: string): Promise<{ browser: Browser; answer: Page }> {
    const browser = new Browser();
    const answer = await post(browser, await loginPage(browser), { email, password });
    return { browser, answer };
  }

  function expectRefused(browser: Browser, answer: Page, status: number): void {
    expect(answer.status, answer.body).toBe(status);
    expect(answer.location).toBeNull();
    expect(setCookie(answer, 'gatehouse_session')).toBeUndefined();
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
  }

  beforeAll(async () => {
    app = await startApp();
    origin = new URL(app.config.issuer).origin;
    ada = await addUser(app);
    client = await addClient(app, { name: '<b>Evil & Co</b>', redirectUris: ['https://rp.example:8443/callback'] });
  });
  afterAll(() => app.stop());

  describe('the form', () => {
    it('is an uncached HTML page naming the application, HTML-escaped', async () => {
      const page = await loginPage(new Browser());
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain('<h1>Sign in</h1>');
      expect(page.body).toContain('to continue to <strong>&lt;b&gt;Evil &amp; Co&lt;/b&gt;</strong>');
      expect(page.body).not.toContain('<b>Evil');
    });

    it('posts labelled email and password fields with autocomplete hints and hidden csrf and request fields', async () => {
      const page = await loginPage(new Browser());
      expect(page.body).toMatch(/<form method="post" action="\/login"/);
      expect(page.body).toMatch(/<label for="email">[^<]+<\/label>/);
      expect(page.body).toMatch(/<input id="email" name="email" type="email" autocomplete="username"/);
      expect(page.body).toMatch(/<label for="password">[^<]+<\/label>/);
      expect(page.body).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password"/);
      expect(page.body).toMatch(/<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/);
      expect(page.body).toMatch(/<input type="hidden" name="request" value="[A-Za-z0-9_-]{43}">/);
    });

    it('has no inline script or style, and a CSP without unsafe-inline whose form-action allows us and the client', async () => {
      const page = await loginPage(new Browser());
      expect(page.body).not.toMatch(/<script\b(?![^>]*\bsrc=)/i);
      expect(page.body).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).not.toContain('unsafe-inline');
      expect(directives(csp).get('form-action')).toEqual(["'self'", 'https://rp.example:8443']);
      expect(directives(csp).get('script-src')).toEqual(["'self'"]);
    });

    it('pre-fills the email from login_hint, escaped', async () => {
      const page = await loginPage(new Browser(), { login_hint: 'a"><script>@example.com' });
      expect(page.body).toContain('value="a&#34;&gt;&lt;script&gt;@example.com"');
      expect(formFields(page.body).email).toBe('a"><script>@example.com');
    });
  });

  describe('refused credentials reveal nothing (ASVS V2.2.1, V3.2)', () => {
    it('answers a wrong password and an unknown email with the same message, status and page, and no code or session', async () => {
      const wrong = await attempt('ada@example.com', 'a wrong password entirely');
      const unknown = await attempt('nobody@example.com', PASSWORD);
      for (const { browser, answer } of [wrong, unknown]) {
        expectRefused(browser, answer, 401);
        expect(alertOf(answer)).toBe(GENERIC);
      }
      const blank = (page: Page) => page.body.replace(/value="[^"]*"/g, 'value=""');
      expect(blank(wrong.answer)).toBe(blank(unknown.answer));
    });

    it('records each refusal as a signin.failed audit event with its reason, the client and the address, never the password', async () => {
      const [last] = await app.store.audit.list({ limit: 1 });
      await attempt('ada@example.com', 'a wrong password entirely');
      await attempt('nobody@example.com', PASSWORD);
      const fresh = (await app.store.audit.list({ limit: 10 })).filter((event) => event.id > (last?.id ?? 0)).reverse();
      expect(fresh).toMatchObject([
        { type: 'signin.failed', outcome: 'failure', actor: 'anonymous', subject: ada.id, clientId: client.clientId, ip: '127.0.0.1', details: { reason: 'wrong_password' } },
        { type: 'signin.failed', outcome: 'failure', actor: 'anonymous', subject: null, clientId: client.clientId, ip: '127.0.0.1', details: { reason: 'unknown_account' } },
      ]);
      expect(JSON.stringify(fresh)).not.toContain('a wrong password entirely');
      expect(JSON.stringify(fresh)).not.toContain('nobody@example.com');
    });

    // The defence against account discovery by timing (authenticate.ts verifies a decoy hash for an unknown email),
    // checked by counting what argon2 did rather than by timing it.
    it('costs every sign-in exactly one argon2id verification at the current parameters: unknown email, wrong password, disabled account and success alike', async () => {
      await addUser(app, 'decoy-known@example.com');
      const disabled = await addUser(app, 'decoy-disabled@example.com');
      await app.store.users.update(disabled.id, { disabled: true }, app.clock.now());
      const cases: [string, string, string, number][] = [
        ['an unknown email', 'decoy-nobody@example.com', PASSWORD, 401],
        ['a wrong password', 'decoy-known@example.com', 'a wrong password entirely', 401],
        ['a disabled account with its password', 'decoy-disabled@example.com', PASSWORD, 401],
        ['the right password', 'decoy-known@example.com', PASSWORD, 303],
      ];
      const costs: Record<string, unknown> = {};
      for (const [what, email, password, status] of cases) {
        const before = argon2VerificationsPerformed().count;
        const { answer } = await attempt(email, password);
        expect(answer.status, what).toBe(status);
        const after = argon2VerificationsPerformed();
        costs[what] = { verifications: after.count - before, parameters: argon2Parameters(after.lastParameters) };
      }
      expect(costs).toEqual(Object.fromEntries(cases.map(([what]) => [what, { verifications: 1, parameters: CURRENT_ARGON2 }])));
    });

    it('hashes nothing for an email or a password over 4 KiB, whether or not the account exists', async () => {
      await addUser(app, 'long-input@example.com');
      const before = argon2VerificationsPerformed().count;
      for (const [email, password] of [
        ['long-input@example.com', 'x'.repeat(5000)],
        ['decoy-nobody@example.com', 'x'.repeat(5000)],
        [`${'a'.repeat(4988)}@example.com`, PASSWORD],
      ] as const) {
        expect((await attempt(email, password)).answer.status).toBe(401);
      }
      expect(argon2VerificationsPerformed().count).toBe(before);
    });

    it('does not sign in a disabled user who knows the password', async () => {
      const user = await addUser(app, 'off@example.com');
      await app.store.users.update(user.id, { disabled: true }, app.clock.now());
      const { browser, answer } = await attempt('off@example.com', PASSWORD);
      expectRefused(browser, answer, 401);
      expect(alertOf(answer)).toBe(GENERIC);
    });

    it('refuses a password or an email over 4 KiB with the same message, even when they are right', async () => {
      const longPassword = 'x'.repeat(5000);
      const longEmail = `${'a'.repeat(4988)}@example.com`;
      // Credentials the management rules would refuse, written straight to the store: only the limit stops them.
      const withLongPassword = await addUser(app, 'long-password@example.com');
      await app.store.users.update(withLongPassword.id, { passwordHash: await hashPassword(longPassword) }, app.clock.now());
      const withLongEmail = await addUser(app, 'long-email@example.com');
      await app.store.users.update(withLongEmail.id, { email: longEmail }, app.clock.now());
      for (const [email, password] of [
        ['long-password@example.com', longPassword],
        [longEmail, PASSWORD],
      ] as const) {
        const { browser, answer } = await attempt(email, password);
        expectRefused(browser, answer, 401);
        expect(alertOf(answer)).toBe(GENERIC);
      }
    });

    it('compares passwords exactly: a trailing space or another case fails', async () => {
      for (const password of [`${PASSWORD} `, PASSWORD.toUpperCase()]) {
        const { browser, answer } = await attempt('ada@example.com', password);
        expectRefused(browser, answer, 401);
        expect(alertOf(answer)).toBe(GENERIC);
      }
      expect((await attempt('ada@example.com', PASSWORD)).answer.status).toBe(303);
    });
  });

  describe('forged and cross-browser submissions (ASVS V4.2.2)', () => {
    it('refuses a POST without the csrf field or with a wrong one, then accepts the genuine form', async () => {
      const browser = new Browser();
      const page = await loginPage(browser);
      for (const csrf of [undefined, 'forged-value', '']) {
        expectRefused(browser, await post(browser, page, { csrf, email: 'ada@example.com', password: PASSWORD }), 403);
      }
      const genuine = await post(browser, page, { email: 'ada@example.com', password: PASSWORD });
      expect(genuine.status).toBe(303);
      expect(new URL(genuine.location ?? '').searchParams.get('code')).toMatch(SECRET);
    });

    it("refuses credentials sent with another browser's request and csrf, and the first browser still completes", async () => {
      const first = new Browser();
      const page = await loginPage(first);
      const withoutCookie = new Browser();
      const withOwnCookie = new Browser();
      await loginPage(withOwnCookie);
      expect(withOwnCookie.cookie(origin, 'gatehouse_browser')).toMatch(SECRET);
      for (const other of [withoutCookie, withOwnCookie]) {
        expectRefused(other, await post(other, page, { email: 'ada@example.com', password: PASSWORD }), 403);
        // Nor may the other browser open the form itself, which would give it a CSRF token of its own.
        const opened = await other.get(page.url);
        expect(opened.status).toBe(403);
        // Its only form is the footer's language switcher (issue 25), whose token serves that form alone.
        expect([...opened.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((match) => match[1])).toEqual(['/language']);
      }
      const answer = await post(first, page, { email: 'ada@example.com', password: PASSWORD });
      expect(answer.status).toBe(303);
      expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(SECRET);
    });
  });

  describe('a successful sign-in (RFC 6749 §4.1.2, RFC 9700 §4.12)', () => {
    it('answers 303 to the redirect_uri with a code and the state, and the pending request is single-use', async () => {
      const browser = new Browser();
      const start = await authorizationUrl(client);
      const page = await open(browser, app, start.url);
      const answer = await post(browser, page, { email: 'ada@example.com', password: PASSWORD });
      expect(answer.status).toBe(303);
      const location = new URL(answer.location ?? '');
      expect(location.origin + location.pathname).toBe(client.redirectUri);
      expect(location.searchParams.get('code')).toMatch(SECRET);
      expect(location.searchParams.get('state')).toBe(start.state);
      const replay = await post(browser, page, { email: 'ada@example.com', password: PASSWORD });
      expect(replay.status).toBe(400);
      expect(replay.headers.get('content-type')).toMatch(/^text\/html/);
      expect(replay.location).toBeNull();
      expect(replay.body).not.toMatch(/code=/);
    });

    it('records a signin.succeeded audit event naming the user, the client and the session', async () => {
      const [last] = await app.store.audit.list({ limit: 1 });
      expect((await attempt('ada@example.com', PASSWORD)).answer.status).toBe(303);
      const fresh = (await app.store.audit.list({ limit: 10 })).filter((event) => event.id > (last?.id ?? 0));
      expect(fresh).toHaveLength(1);
      expect(fresh[0]).toMatchObject({ type: 'signin.succeeded', actor: ada.id, subject: ada.id, clientId: client.clientId, outcome: 'success' });
    });

    it('re-hashes a password stored with weaker argon2 parameters at m=19456,t=2,p=1', async () => {
      const user = await addUser(app, 'legacy@example.com');
      const weak = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
      await app.store.users.update(user.id, { passwordHash: weak }, app.clock.now());
      expect((await attempt('legacy@example.com', PASSWORD)).answer.status).toBe(303);
      const stored = (await app.store.users.findById(user.id))?.passwordHash ?? '';
      expect(argon2Parameters(stored)).toEqual(CURRENT_ARGON2);
      expect((await attempt('legacy@example.com', PASSWORD)).answer.status).toBe(303);
    });
  });

  describe('the session cookie (ASVS V3.2.1 fixation, V3.4 attributes, V3.2.3 storage)', () => {
    /** A session id of a sign-in in a browser of its own, as an attacker would obtain one. */
    async function sessionIdOf(email: string): Promise<string> {
      const { browser, answer } = await attempt(email, PASSWORD);
      expect(answer.status, answer.body).toBe(303);
      const id = browser.cookie(origin, 'gatehouse_session') ?? '';
      expect(await app.store.sessions.findLive(hashSecret(id), app.clock.now())).not.toBeNull();
      return id;
    }

    // A well-formed planted id is what a fixation attack uses: a server that adopted it would keep it as the
    // session's id (ASVS V3.2.1); a malformed one would be refused by its shape alone.
    it.each([
      ['a malformed value', async () => 'planted-by-an-attacker'],
      ['a well-formed id that names no session', async () => randomSecret()],
      [
        'the id of a session that was signed in and has ended',
        async () => {
          const id = await sessionIdOf('ada@example.com');
          const session = await app.store.sessions.findLive(hashSecret(id), app.clock.now());
          await app.sessionEnd.end(session!, { reason: 'logout', actor: 'test', keepOffline: true });
          expect(await app.store.sessions.findLive(hashSecret(id), app.clock.now())).toBeNull();
          return id;
        },
      ],
      [
        "the id of the attacker's own live session",
        async () => {
          if (!(await app.store.users.findByEmail('mallory@example.com'))) await addUser(app, 'mallory@example.com', { name: 'Mallory' });
          return sessionIdOf('mallory@example.com');
        },
      ],
    ])('replaces a session cookie planted before sign-in (%s) with a new, unguessable one, and the planted id names no session', async (_what, plant) => {
      const planted = await plant();
      const browser = new Browser();
      browser.setCookie(origin, 'gatehouse_session', planted);
      // prompt=login: a live planted session would otherwise answer the request at once (single sign-on).
      const answer = await post(browser, await loginPage(browser, { prompt: 'login' }), { email: 'ada@example.com', password: PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      const id = browser.cookie(origin, 'gatehouse_session') ?? '';
      expect(id).toMatch(SECRET);
      expect(id).not.toBe(planted);
      expect(await app.store.sessions.findLive(hashSecret(planted), app.clock.now())).toBeNull();
      expect((await app.store.sessions.findLive(hashSecret(id), app.clock.now()))?.userId).toBe(ada.id);
    });

    it('starts a new session id when the same browser signs in again, and ends the old one', async () => {
      const browser = new Browser();
      await post(browser, await loginPage(browser), { email: 'ada@example.com', password: PASSWORD });
      const first = browser.cookie(origin, 'gatehouse_session') ?? '';
      expect(await app.store.sessions.findLive(hashSecret(first), app.clock.now())).not.toBeNull();
      const again = await post(browser, await loginPage(browser, { prompt: 'login' }), { email: 'ada@example.com', password: PASSWORD });
      expect(again.status).toBe(303);
      const second = browser.cookie(origin, 'gatehouse_session') ?? '';
      expect(second).toMatch(SECRET);
      expect(second).not.toBe(first);
      expect(await app.store.sessions.findLive(hashSecret(first), app.clock.now())).toBeNull();
    });

    it('is HttpOnly, SameSite=Lax, Path=/ and, on an http issuer, not Secure', async () => {
      const { answer } = await attempt('ada@example.com', PASSWORD);
      const line = setCookie(answer, 'gatehouse_session') ?? '';
      expect(line).toMatch(/;\s*HttpOnly(;|$)/i);
      expect(line).toMatch(/;\s*SameSite=Lax(;|$)/i);
      expect(line).toMatch(/;\s*Path=\/(;|$)/i);
      expect(line).not.toMatch(/;\s*Secure(;|$)/i);
      expect(line).not.toMatch(/;\s*Domain=/i);
    });

    it('is stored only as its SHA-256 hash', async () => {
      const { browser } = await attempt('ada@example.com', PASSWORD);
      const id = browser.cookie(origin, 'gatehouse_session') ?? '';
      expect(id).toMatch(SECRET);
      const session = await app.store.sessions.findLive(hashSecret(id), app.clock.now());
      expect(session?.userId).toBe(ada.id);
      expect(session?.idHash).toBe(hashSecret(id));
      if (app.config.database.engine === 'sqlite') {
        // Every byte SQLite wrote, the write-ahead log included.
        const files = readdirSync(app.config.dataDir).filter((name) => name.startsWith(path.basename(app.config.sqliteFile)));
        expect(files.length).toBeGreaterThan(0);
        for (const file of files) expect(readFileSync(path.join(app.config.dataDir, file)).includes(id), file).toBe(false);
      } else {
        const rows = await queryRows<Record<string, unknown>>(app, 'SELECT * FROM sessions');
        expect(rows.length).toBeGreaterThan(0);
        expect(JSON.stringify(rows)).not.toContain(id);
      }
    });

    it('takes the __Host- prefix and Secure on an https issuer', async () => {
      const https = await startApp({ env: { ISSUER: 'https://idp.example.test' } });
      try {
        await addUser(https);
        const ctx = { store: https.store, clock: https.clock, passwordMinLength: https.config.passwordMinLength, actor: 'test', config: https.config };
        const { client: rp } = await createClient(ctx, { name: 'RP', redirectUris: ['https://rp.example/cb'], pkce: 'optional' });
        const loopback = new URL(https.url).origin;
        const query = new URLSearchParams({ client_id: rp.clientId, redirect_uri: 'https://rp.example/cb', response_type: 'code', scope: 'openid', state: 's' });
        const browser = new Browser();
        const started = await browser.get(`${https.url}/authorize?${query.toString()}`);
        expect(started.status).toBe(303);
        expect(setCookie(started, '__Host-gatehouse_browser')).toMatch(/^__Host-gatehouse_browser=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
        const page = await browser.follow(started, loopback);
        const answer = await post(browser, page, { email: 'ada@example.com', password: PASSWORD });
        expect(answer.status, answer.body).toBe(303);
        expect(setCookie(answer, '__Host-gatehouse_session')).toMatch(/^__Host-gatehouse_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
        expect(answer.headers.getSetCookie().some((line) => line.startsWith('gatehouse_'))).toBe(false);
      } finally {
        await https.stop();
      }
    });
  });
});
