// The sign-in page's less travelled paths (src/interaction/login.ts, sign-in-attempt.ts, complete-sign-in.ts):
// the sign-in to our own pages (`return_to`) and its CSRF token, which field wins when a form carries both
// targets, malformed posts, the form shown again after a refusal, the audit record of a success, the failures
// that count toward the throttle without reaching argon2, and a pending request submitted twice at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor } from '../../src/interaction/pending-request.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const WRONG = 'not the right password at all';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

const alertOf = (page: Page) => /id="login-error">\s*<p class="error-summary-title">[^<]*<\/p>\s*<p>([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;
const setCookie = (page: Page, name: string) => page.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
/** A Content-Security-Policy header as directive → values. */
const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name = '', ...values]) => [name, values]),
  );

describe('the sign-in page: edge cases', () => {
  let app: RunningApp;
  let origin: string;
  let client: TestClient;
  let people = 0;

  /** A new account with a unique address. */
  const person = (label: string): Promise<UserRecord> => addUser(app, `${label}-${++people}@example.com`);
  const sessionOf = (browser: Browser) => browser.cookie(origin, 'gatehouse_session');
  const lastEventId = async () => (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
  const eventsSince = async (id: number) => (await app.store.audit.list({ limit: 50 })).filter((event) => event.id > id).reverse();

  /** The sign-in form for one of our own pages, opened in `browser`. */
  async function pageForm(browser: Browser, returnTo = '/account'): Promise<Page> {
    const form = await browser.get(`${app.url}/login?return_to=${encodeURIComponent(returnTo)}`);
    expect(form.status, form.body).toBe(200);
    return form;
  }

  /** The sign-in form of a pending authorization request of `client`, opened in `browser`. */
  async function applicationForm(browser: Browser, extra: Record<string, string> = {}): Promise<Page> {
    const page = await open(browser, app, (await authorizationUrl(client, extra)).url);
    expect(page.status, page.body).toBe(200);
    return page;
  }

  /** Posts the form on `page` with its own fields, overridden by `fields` (undefined removes one). */
  function post(browser: Browser, page: Page, fields: Record<string, string | undefined>): Promise<Page> {
    const merged: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...formFields(page.body), ...fields })) if (value !== undefined) merged[name] = value;
    return browser.postForm(formAction(page.body, page.url), merged);
  }

  function expectNoSession(browser: Browser, answer: Page): void {
    expect(answer.location).toBeNull();
    expect(setCookie(answer, 'gatehouse_session')).toBeUndefined();
    expect(sessionOf(browser)).toBeUndefined();
  }

  beforeAll(async () => {
    app = await startApp();
    origin = new URL(app.config.issuer).origin;
    client = await addClient(app, { name: 'Edge App', redirectUris: ['https://rp.example:8443/callback'] });
  });
  afterAll(() => app.stop());

  describe('signing in to one of our own pages (return_to)', () => {
    it('sends a browser that is already signed in straight back to the page, uncached, without a form', async () => {
      const user = await person('already');
      const browser = new Browser();
      expect((await post(browser, await pageForm(browser), { email: user.email, password: PASSWORD })).status).toBe(303);
      const again = await browser.get(`${app.url}/login?return_to=${encodeURIComponent('/account?done=x')}`);
      expect(again.status).toBe(303);
      expect(again.location).toBe(`${app.url}/account?done=x`);
      expect(again.headers.get('cache-control')).toBe('no-store');
      expect(again.body).not.toContain('name="password"');
    });

    it('shows an empty form for the normalised page, naming no application, and sets the browser cookie only when there is none', async () => {
      const browser = new Browser();
      const first = await pageForm(browser, '/account/./sessions');
      expect(setCookie(first, 'gatehouse_browser')).toMatch(/^gatehouse_browser=[A-Za-z0-9_-]{43};/);
      const cookie = browser.cookie(origin, 'gatehouse_browser');
      expect(formFields(first.body)).toMatchObject({ return_to: '/account/sessions', email: '' });
      expect(first.body).not.toContain('name="request"');
      expect(first.body).toContain('to continue to Gatehouse');
      expect(first.headers.get('cache-control')).toBe('no-store');
      // A second form in the same browser keeps the cookie: a sign-in pending in another tab still completes.
      const pending = await applicationForm(browser);
      const second = await pageForm(browser);
      expect(setCookie(second, 'gatehouse_browser')).toBeUndefined();
      expect(browser.cookie(origin, 'gatehouse_browser')).toBe(cookie);
      const user = await person('tabs');
      const answer = await post(browser, pending, { email: user.email, password: PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(SECRET);
    });

    it("binds the CSRF token to the page it returns to: the /account form's token does not sign in to /admin (ASVS V4.2.2)", async () => {
      const user = await person('bound');
      const browser = new Browser();
      const form = await pageForm(browser, '/account');
      const before = await lastEventId();
      const moved = await post(browser, form, { return_to: '/admin', email: user.email, password: PASSWORD });
      expect(moved.status).toBe(403);
      expect(moved.body).toContain('The form has expired or did not come from this site. Open the page you wanted again.');
      expectNoSession(browser, moved);
      expect(await lastEventId()).toBe(before);
      // Nor does a token of the same browser for another purpose.
      const browserSecret = browser.cookie(origin, 'gatehouse_browser') ?? '';
      for (const csrf of [csrfTokenFor(browserSecret, '/account'), csrfTokenFor(browserSecret, 'forgot-password'), '']) {
        expect((await post(browser, form, { csrf, email: user.email, password: PASSWORD })).status).toBe(403);
      }
      expect((await post(browser, form, { email: user.email, password: PASSWORD })).status).toBe(303);
    });

    it.each([
      ['another site', 'https://evil.example/account'],
      ['a scheme-relative URL', '//evil.example/account'],
      ['one of our endpoints that is not a page', '/token'],
      ['an empty value', ''],
    ])('refuses to return to %s with 400, writing nothing, even with a valid token', async (_what, target) => {
      const user = await person('target');
      const browser = new Browser();
      const form = await pageForm(browser);
      const before = await lastEventId();
      // The token this browser would get for that target, had the page given one out.
      const csrf = csrfTokenFor(browser.cookie(origin, 'gatehouse_browser') ?? '', `return\0${target}`);
      const answer = await post(browser, form, { return_to: target, csrf, email: user.email, password: PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('This sign-in link is not valid.');
      expectNoSession(browser, answer);
      expect(await lastEventId()).toBe(before);
    });

    it('refuses a post from a browser without the cookie with 400, saying cookies are needed', async () => {
      const user = await person('cookieless');
      const form = await pageForm(new Browser());
      const other = new Browser();
      const answer = await post(other, form, { email: user.email, password: PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('This browser did not keep the sign-in cookie.');
      expectNoSession(other, answer);
    });

    it('shows the form again after a wrong password, and that form signs in', async () => {
      const user = await person('retry-page');
      const browser = new Browser();
      const refused = await post(browser, await pageForm(browser, '/admin'), { email: user.email, password: WRONG });
      expect(refused.status).toBe(401);
      expect(alertOf(refused)).toBe('Incorrect email or password.');
      expect(formFields(refused.body)).toMatchObject({ return_to: '/admin', email: user.email });
      expect(refused.body).toContain('to continue to Gatehouse');
      const answer = await post(browser, refused, { password: PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin`);
    });

    it('answers a success with an uncached 303 to the page and a signin.succeeded event with the address, the session and amr pwd', async () => {
      const user = await person('page-success');
      const browser = new Browser();
      const form = await pageForm(browser, '/account?done=1');
      const before = await lastEventId();
      const answer = await post(browser, form, { email: user.email, password: PASSWORD });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/account?done=1`);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const [session] = await app.store.sessions.listForUser(user.id, app.clock.now());
      expect(await eventsSince(before)).toEqual([
        expect.objectContaining({ type: 'signin.succeeded', actor: user.id, subject: user.id, clientId: null, ip: '127.0.0.1', outcome: 'success', details: { sid: session?.sid, amr: ['pwd'] } }),
      ]);
    });
  });

  it('titles the page, the form shown again after a refusal and the form of an application "Sign in" (WCAG 2.4.2)', async () => {
    const browser = new Browser();
    const titleOf = (page: Page) => /<title>([^<]*)<\/title>/.exec(page.body)?.[1];
    const page = await pageForm(browser);
    const refused = await post(browser, page, { email: 'nobody@example.com', password: WRONG });
    expect(refused.status).toBe(401);
    for (const shown of [page, refused, await applicationForm(browser)]) expect(titleOf(shown)).toBe('Sign in · Gatehouse');
  });

  describe('which target a form names', () => {
    it('takes the pending request over return_to when the login page is opened with both', async () => {
      const browser = new Browser();
      const form = await applicationForm(browser);
      const both = await browser.get(`${form.url}&return_to=${encodeURIComponent('/account')}`);
      expect(both.status).toBe(200);
      expect(formFields(both.body)).toMatchObject({ request: formFields(form.body).request });
      expect(formFields(both.body).return_to).toBeUndefined();
      expect(both.body).toContain('to continue to <strong>Edge App</strong>');
    });

    it('takes the pending request over return_to when the form posts both: the application gets its code', async () => {
      const user = await person('both');
      const browser = new Browser();
      const answer = await post(browser, await applicationForm(browser), { return_to: '/account', email: user.email, password: PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location?.startsWith(`${client.redirectUri}?`)).toBe(true);
      expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(SECRET);
    });

    it('answers a post naming neither with 400: the sign-in link has expired', async () => {
      const browser = new Browser();
      const form = await pageForm(browser);
      const answer = await browser.postForm(`${app.url}/login`, { csrf: formFields(form.body).csrf ?? '', email: 'x@example.com', password: PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('This sign-in link has expired or was already used.');
      expectNoSession(browser, answer);
    });

    it('answers a post that is not a form with 400, not an error', async () => {
      const browser = new Browser();
      await pageForm(browser);
      for (const init of [{ method: 'POST' }, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ return_to: '/account', email: 'x@example.com' }) }]) {
        const answer = await browser.request(`${app.url}/login`, init);
        expect(answer.status).toBe(400);
        expect(answer.body).toContain('This sign-in link has expired or was already used.');
      }
    });

    it('treats a repeated field as absent: a repeated email is a refused sign-in, a repeated request an expired one', async () => {
      const user = await person('repeated');
      const browser = new Browser();
      const form = await applicationForm(browser);
      const fields = formFields(form.body);
      const send = (pairs: [string, string][]) =>
        browser.request(`${app.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(pairs).toString() });
      const repeatedEmail = await send([
        ['request', fields.request ?? ''],
        ['csrf', fields.csrf ?? ''],
        ['email', user.email],
        ['email', user.email],
        ['password', PASSWORD],
      ]);
      expect(repeatedEmail.status).toBe(401);
      expect(alertOf(repeatedEmail)).toBe('Incorrect email or password.');
      const repeatedRequest = await send([
        ['request', fields.request ?? ''],
        ['request', fields.request ?? ''],
        ['csrf', fields.csrf ?? ''],
        ['email', user.email],
        ['password', PASSWORD],
      ]);
      expect(repeatedRequest.status).toBe(400);
      expectNoSession(browser, repeatedRequest);
      const repeatedTarget = await send([
        ['return_to', '/account'],
        ['return_to', '/account'],
        ['csrf', fields.csrf ?? ''],
        ['email', user.email],
        ['password', PASSWORD],
      ]);
      expect(repeatedTarget.status).toBe(400);
      expectNoSession(browser, repeatedTarget);
    });
  });

  describe("an application's sign-in", () => {
    it('leaves the email field empty, and focused, without a login_hint', async () => {
      const form = await applicationForm(new Browser());
      expect(formFields(form.body).email).toBe('');
      expect(form.body).toMatch(/<input id="email" name="email" type="email" autocomplete="username" required value="" autofocus>/);
    });

    it("shows the form again after a wrong password with the client's form-action, and that form signs in", async () => {
      const user = await person('retry-app');
      const browser = new Browser();
      const form = await applicationForm(browser);
      const refused = await post(browser, form, { email: user.email, password: WRONG });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(directives(refused.headers.get('content-security-policy') ?? '').get('form-action')).toEqual(["'self'", 'https://rp.example:8443']);
      expect(formFields(refused.body)).toMatchObject({ request: formFields(form.body).request, csrf: formFields(form.body).csrf, email: user.email });
      const answer = await post(browser, refused, { password: PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(SECRET);
    });

    it('shows again an email of up to 254 characters, the longest an address can be, and not a longer one', async () => {
      const browser = new Browser();
      const form = await applicationForm(browser);
      const longest = `${'a'.repeat(254 - '@example.com'.length)}@example.com`;
      expect(longest).toHaveLength(254);
      expect(formFields((await post(browser, form, { email: longest, password: WRONG })).body).email).toBe(longest);
      expect(formFields((await post(browser, form, { email: `a${longest}`, password: WRONG })).body).email).toBe('');
      const page = await pageForm(browser);
      expect(formFields((await post(browser, page, { email: longest, password: WRONG })).body).email).toBe(longest);
      expect(formFields((await post(browser, page, { email: `a${longest}`, password: WRONG })).body).email).toBe('');
    });

    it('refuses, with 400 and no session, a pending request whose client was deleted, on the form and on its post', async () => {
      const user = await person('deleted-client');
      const doomed = await addClient(app, { name: 'Doomed', redirectUris: ['https://doomed.example/cb'] });
      const browser = new Browser();
      const form = await open(browser, app, (await authorizationUrl(doomed)).url);
      expect(form.status).toBe(200);
      expect(await app.store.clients.delete(doomed.clientId)).toBe(true);
      for (const answer of [await browser.get(form.url), await post(browser, form, { email: user.email, password: PASSWORD })]) {
        expect(answer.status).toBe(400);
        expect(answer.body).toContain('This sign-in link has expired or was already used.');
        expectNoSession(browser, answer);
      }
    });

    it('completes a pending request exactly once when its form is submitted twice at the same time: one code, one session (RFC 6749 §10.5)', async () => {
      const user = await person('twice');
      const browser = new Browser();
      const form = await applicationForm(browser);
      const answers = await Promise.all([1, 2, 3].map(() => post(browser, form, { email: user.email, password: PASSWORD })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400, 400]);
      for (const answer of answers.filter((candidate) => candidate.status === 400)) {
        expect(answer.body).toContain('This sign-in link has expired or was already used.');
        expect(answer.location).toBeNull();
      }
      expect(await app.store.sessions.listForUser(user.id, app.clock.now())).toHaveLength(1);
      expect(await app.store.audit.count({ type: 'signin.succeeded', subject: user.id })).toBe(1);
    });

    it('records a signin.succeeded event with the client, the address, the session and amr pwd', async () => {
      const user = await person('app-success');
      const browser = new Browser();
      const form = await applicationForm(browser);
      const before = await lastEventId();
      expect((await post(browser, form, { email: user.email, password: PASSWORD })).status).toBe(303);
      const [session] = await app.store.sessions.listForUser(user.id, app.clock.now());
      expect(await eventsSince(before)).toEqual([
        expect.objectContaining({
          type: 'signin.succeeded',
          actor: user.id,
          subject: user.id,
          clientId: client.clientId,
          ip: '127.0.0.1',
          outcome: 'success',
          details: { sid: session?.sid, amr: ['pwd'] },
        }),
      ]);
    });
  });

  describe('failures that count toward the throttle without a hash mismatch (NIST SP 800-63B §5.2.2)', () => {
    async function failFiveTimes(email: string, password: string): Promise<{ browser: Browser; form: Page }> {
      const browser = new Browser();
      const form = await pageForm(browser);
      for (let i = 0; i < 5; i++) expect((await post(browser, form, { email, password })).status, `attempt ${i + 1}`).toBe(401);
      return { browser, form };
    }

    it('counts sign-ins to a disabled account, even with its password: the sixth is throttled', async () => {
      const user = await person('disabled');
      await app.store.users.update(user.id, { disabled: true }, app.clock.now());
      const { browser, form } = await failFiveTimes(user.email, PASSWORD);
      const sixth = await post(browser, form, { email: user.email, password: PASSWORD });
      expect(sixth.status).toBe(429);
      expect(alertOf(sixth)).toMatch(/^Too many failed sign-in attempts for this account\. Try again in \d+ (second|minute)s?\.$/);
    });

    it('counts a password over 4 KiB: the sixth attempt is throttled, even with the right password', async () => {
      const user = await person('long-input');
      const { browser, form } = await failFiveTimes(user.email, 'x'.repeat(5000));
      expect((await post(browser, form, { email: user.email, password: PASSWORD })).status).toBe(429);
    });

    it('names the account of a throttled email of exactly 4 KiB in the signin.throttled event, and none for a longer one (nothing longer is looked up)', async () => {
      const exactly = await person('exact');
      const exactEmail = `${'e'.repeat(4096 - '@example.com'.length)}@example.com`;
      expect(Buffer.byteLength(exactEmail)).toBe(4096);
      await app.store.users.update(exactly.id, { email: exactEmail }, app.clock.now());
      const longer = await person('longer');
      const longerEmail = `l${exactEmail}`;
      await app.store.users.update(longer.id, { email: longerEmail }, app.clock.now());
      for (const [user, email] of [
        [exactly, exactEmail],
        [longer, longerEmail],
      ] as const) {
        const { browser, form } = await failFiveTimes(email, WRONG);
        const before = await lastEventId();
        expect((await post(browser, form, { email, password: WRONG })).status).toBe(429);
        const events = await eventsSince(before);
        expect(events).toEqual([
          expect.objectContaining({ type: 'signin.throttled', actor: 'anonymous', subject: user === exactly ? user.id : null, details: expect.objectContaining({ by: 'account' }) }),
        ]);
      }
    });
  });
});
