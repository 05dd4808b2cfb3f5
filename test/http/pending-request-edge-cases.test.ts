// An authorization request waiting for the person to sign in (src/interaction/pending-request.ts): what is
// stored of it, how long it lives, the browser it is bound to and the CSRF token bound to it (OWASP ASVS V4.2.2,
// RFC 9700 §4.7 on CSRF against the authorization flow).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

describe('pending authorization requests: edge cases', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let origin: string;
  let client: TestClient;
  let email: string;

  async function loginPage(browser: Browser): Promise<Page> {
    const page = await open(browser, app, (await authorizationUrl(client)).url);
    expect(page.status, page.body).toBe(200);
    return page;
  }

  function post(browser: Browser, page: Page, fields: Record<string, string> = {}): Promise<Page> {
    return browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), email, password: PASSWORD, ...fields });
  }

  const codeOf = (answer: Page) => new URL(answer.location ?? '').searchParams.get('code');

  beforeAll(async () => {
    app = await startApp({ clock });
    origin = new URL(app.config.issuer).origin;
    client = await addClient(app, { redirectUris: ['https://rp.example/cb'] });
    email = (await addUser(app)).email;
  });
  afterAll(() => app.stop());

  it('keeps only hashes of the request id and of the browser cookie, with the client, the parameters and a 30-minute life', async () => {
    const browser = new Browser();
    const start = await authorizationUrl(client, { login_hint: 'ada@example.com' });
    const redirect = await browser.get(start.url.toString());
    expect(redirect.status).toBe(303);
    const location = new URL(redirect.location ?? '');
    expect(location.pathname).toBe('/login');
    expect([...location.searchParams.keys()]).toEqual(['request']);
    const id = location.searchParams.get('request') ?? '';
    expect(id).toMatch(SECRET);
    const record = await app.store.authorizationRequests.findLive(hashSecret(id), clock.now());
    expect(record).toMatchObject({
      idHash: hashSecret(id),
      browserHash: hashSecret(browser.cookie(origin, 'gatehouse_browser') ?? ''),
      clientId: client.clientId,
      createdAt: clock.now(),
      expiresAt: clock.now() + 30 * MINUTE,
    });
    expect(record?.params).toMatchObject({ redirect_uri: 'https://rp.example/cb', state: start.state, nonce: start.nonce, login_hint: 'ada@example.com' });
    expect(JSON.stringify(record)).not.toContain(id);
  });

  it('completes 30 minutes less a second after it started, and not 30 minutes after (400, no code)', async () => {
    const browser = new Browser();
    const late = await loginPage(browser);
    const inTime = await loginPage(browser);
    clock.advance(30 * MINUTE - 1_000);
    const answer = await post(browser, inTime);
    expect(answer.status, answer.body).toBe(303);
    expect(codeOf(answer)).toMatch(SECRET);
    clock.advance(1_000);
    for (const expired of [await browser.get(late.url), await post(browser, late)]) {
      expect(expired.status).toBe(400);
      expect(expired.body).toContain('This sign-in link has expired or was already used.');
      expect(expired.location).toBeNull();
    }
  });

  it('keeps the browser cookie when the same browser starts a second request: both complete, each with its own CSRF token only', async () => {
    const browser = new Browser();
    const first = await loginPage(browser);
    const cookie = browser.cookie(origin, 'gatehouse_browser');
    expect(cookie).toMatch(SECRET);
    const second = await loginPage(browser);
    expect(browser.cookie(origin, 'gatehouse_browser')).toBe(cookie);
    const [firstCsrf, secondCsrf] = [formFields(first.body).csrf ?? '', formFields(second.body).csrf ?? ''];
    expect(firstCsrf).toMatch(SECRET);
    expect(secondCsrf).toMatch(SECRET);
    expect(firstCsrf).not.toBe(secondCsrf);
    // A token is bound to its request: one request's token does not complete the other.
    for (const [page, csrf] of [
      [first, secondCsrf],
      [second, firstCsrf],
    ] as const) {
      const crossed = await post(browser, page, { csrf });
      expect(crossed.status).toBe(403);
      expect(crossed.body).toContain('The form has expired or did not come from this site. Go back to the application and start again.');
    }
    for (const page of [first, second]) {
      const answer = await post(browser, page);
      expect(answer.status, answer.body).toBe(303);
      expect(codeOf(answer)).toMatch(SECRET);
    }
  });

  it('gives two browsers different CSRF tokens', async () => {
    const tokens = [formFields((await loginPage(new Browser())).body).csrf, formFields((await loginPage(new Browser())).body).csrf];
    expect(new Set(tokens).size).toBe(2);
  });

  it('tells a browser that did not start the request, or keeps no cookie, to start again in this browser (403)', async () => {
    const page = await loginPage(new Browser());
    const other = new Browser();
    await loginPage(other);
    for (const browser of [other, new Browser()]) {
      for (const answer of [await browser.get(page.url), await post(browser, page)]) {
        expect(answer.status).toBe(403);
        expect(answer.body).toContain('This sign-in was started in another browser, or this browser does not keep cookies.');
        // No sign-in form, so no token of its own: the page's only form is the footer's language switcher (issue 25).
        expect([...answer.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((match) => match[1])).toEqual(['/language']);
      }
    }
  });
});
