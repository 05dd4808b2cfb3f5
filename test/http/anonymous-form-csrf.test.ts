// The CSRF tokens of the forms a person fills in before signing in (src/interaction/browser-csrf.ts: forgot
// password, reset, verify email): bound to the browser's own random cookie and to the form's purpose, so no other
// site and no other form can post them (OWASP ASVS V4.2.2). Opening such a form never replaces the cookie a
// sign-in pending in another tab is bound to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor } from '../../src/interaction/pending-request.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { readOutbox } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const setCookie = (page: Page, name: string) => page.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));

describe('CSRF tokens of the forms before sign-in', () => {
  let app: RunningApp;
  let origin: string;
  let client: TestClient;

  const lastEventId = async () => (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
  const forgotForm = async (browser: Browser): Promise<Page> => {
    const page = await browser.get(`${app.url}/forgot-password`);
    expect(page.status).toBe(200);
    return page;
  };
  const postRaw = (browser: Browser, pairs: [string, string][]) =>
    browser.request(`${app.url}/forgot-password`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(pairs).toString() });

  beforeAll(async () => {
    app = await startApp();
    origin = new URL(app.config.issuer).origin;
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('sets the browser cookie on the forgot-password page only when there is none, so a sign-in pending in another tab still completes', async () => {
    const user = await addUser(app, 'tabs@example.com');
    const browser = new Browser();
    const first = await forgotForm(browser);
    expect(setCookie(first, 'gatehouse_browser')).toMatch(/^gatehouse_browser=[A-Za-z0-9_-]{43};/);
    const login = await open(browser, app, (await authorizationUrl(client)).url);
    expect(login.status).toBe(200);
    const cookie = browser.cookie(origin, 'gatehouse_browser');
    // "Forgot password?" from the sign-in page, then back to it.
    const again = await forgotForm(browser);
    expect(setCookie(again, 'gatehouse_browser')).toBeUndefined();
    expect(browser.cookie(origin, 'gatehouse_browser')).toBe(cookie);
    const answer = await browser.postForm(formAction(login.body, login.url), { ...formFields(login.body), email: user.email, password: PASSWORD });
    expect(answer.status, answer.body).toBe(303);
    expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts the form with its own token', async () => {
    const browser = new Browser();
    const form = await forgotForm(browser);
    const answer = await browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email: 'someone@example.com' });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Check your email');
  });

  it('refuses a post from a browser without the cookie with 403, saying cookies are needed, writing nothing', async () => {
    await addUser(app, 'no-cookie@example.com');
    const form = await forgotForm(new Browser());
    const before = await lastEventId();
    const answer = await new Browser().postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email: 'no-cookie@example.com' });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('This browser did not keep the cookie the form needs. Allow cookies for this site. Open the page again and retry.');
    expect(await lastEventId()).toBe(before);
    expect((await readOutbox(app.config.dataDir)).filter((mail) => mail.to === 'no-cookie@example.com')).toEqual([]);
  });

  it('refuses a missing, forged or empty token, and the token of another form of the same browser (403)', async () => {
    const browser = new Browser();
    await forgotForm(browser);
    const secret = browser.cookie(origin, 'gatehouse_browser') ?? '';
    const before = await lastEventId();
    for (const pairs of [
      [] as [string, string][],
      [['csrf', 'forged']] as [string, string][],
      [['csrf', '']] as [string, string][],
      [['csrf', csrfTokenFor(secret, 'reset-password')]] as [string, string][],
      [['csrf', csrfTokenFor(secret, 'verify-email')]] as [string, string][],
    ]) {
      const answer = await postRaw(browser, [...pairs, ['email', 'someone@example.com']]);
      expect(answer.status, JSON.stringify(pairs)).toBe(403);
      expect(answer.body).toContain('The form has expired or did not come from this site. Open the page again and retry.');
    }
    expect(await lastEventId()).toBe(before);
  });

  it('refuses a token sent as a repeated field, even one whose parts spell the token', async () => {
    const browser = new Browser();
    const token = formFields((await forgotForm(browser)).body).csrf ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Buffer.from() of an array of numeric strings gives those bytes: the field must be one string.
    const spelled = [...Buffer.from(token)].map((byte): [string, string] => ['csrf', String(byte)]);
    const answer = await postRaw(browser, [...spelled, ['email', 'someone@example.com']]);
    expect(answer.status).toBe(403);
    expect(
      (
        await postRaw(browser, [
          ['csrf', token],
          ['csrf', token],
          ['email', 'someone@example.com'],
        ])
      ).status,
    ).toBe(403);
  });

  it('refuses a post that is not a form with 403, not an error', async () => {
    const browser = new Browser();
    await forgotForm(browser);
    for (const init of [{ method: 'POST' }, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ csrf: 'x', email: 'someone@example.com' }) }]) {
      expect((await browser.request(`${app.url}/forgot-password`, init)).status).toBe(403);
    }
  });

  it('takes a repeated field as absent once the token is right: a repeated email is asked for again', async () => {
    const browser = new Browser();
    const token = formFields((await forgotForm(browser)).body).csrf ?? '';
    const answer = await postRaw(browser, [
      ['csrf', token],
      ['email', 'someone@example.com'],
      ['email', 'someone@example.com'],
    ]);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Enter the email address of your account.');
    expect(formFields(answer.body).email).toBe('');
  });

  it('answers a mailed link that does not work with an uncached 400 page saying so, with where to get a new one', async () => {
    const answer = await new Browser().get(`${app.url}/reset-password?token=${'A'.repeat(43)}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.body).toContain('<h1>This link no longer works</h1>');
    expect(answer.body).toContain('This password-reset link has expired or was already used.');
    expect(answer.body).toContain(`<a href="${app.config.basePath}/forgot-password">Ask for a new link</a>`);
  });
});
