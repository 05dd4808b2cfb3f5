// After the password, who is sent on to a second step (src/interaction/login.ts, passwordAccepted), and how the
// sign-in's target (an application's pending request, or one of our own pages) is carried to that step and
// checked again there (src/interaction/complete-sign-in.ts: targetFields, targetOf, targetClientId). The
// policy's rules themselves are test/http/mfa-policy.test.ts's; this file pins down what the sign-in page passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA } from '../../src/auth/mfa-policy.js';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, PASSWORD, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signedInPerson } from './account-helpers.js';

const STEP_MS = 30_000;

describe('the step after the password, and the target it carries', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;
  let strict: TestClient;
  let origin: string;

  beforeAll(async () => {
    // Five seconds into a time step, so that a step's code stays the current one until the clock is moved.
    clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
    app = await startApp({ clock });
    origin = new URL(app.config.issuer).origin;
    client = await addClient(app, { name: 'Plain' });
    strict = await addClient(app, { name: 'Strict', requireMfa: true, redirectUris: ['https://strict.example/cb'] });
  });
  afterAll(() => app.stop());

  const submit = (browser: Browser, page: Page, fields: Record<string, string | undefined> = {}) => {
    const merged: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...formFields(page.body), ...fields })) if (value !== undefined) merged[name] = value;
    return browser.postForm(formAction(page.body, page.url), merged);
  };
  const lastEventId = async () => (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
  const eventsSince = async (id: number) => (await app.store.audit.list({ limit: 50 })).filter((event) => event.id > id).reverse();
  const wrongCode = (secret: string) => (totpCodeAt(secret, totpStep(clock.now())) === '123456' ? '654321' : '123456');

  /** A person with a confirmed authenticator app (set up from the account page); returns its secret. */
  async function withAuthenticator(label: string): Promise<{ user: UserRecord; secret: string }> {
    const user = await newPerson(app, label);
    const person = await signedInPerson(app, user);
    expect((await person.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
    const setup = await person.browser.get(`${app.url}/account/two-factor`);
    const secret = (/data-testid="totp-secret">([^<]+)</.exec(setup.body)?.[1] ?? '').replace(/\s+/g, '');
    const confirmed = await person.browser.postForm(`${app.url}/account/two-factor/confirm`, { ...formFields(setup.body), code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(confirmed.status, confirmed.body).toBe(200);
    // The next sign-in's code is another time step's (a code is accepted once).
    clock.advance(STEP_MS);
    return { user, secret };
  }

  it("sends a person with an authenticator from an application's sign-in to the code step carrying the request; the code completes it with amr pwd, otp, mfa", async () => {
    const { user, secret } = await withAuthenticator('app-step');
    const browser = new Browser();
    const login = await open(browser, app, (await authorizationUrl(client)).url);
    const request = formFields(login.body).request ?? '';
    const passed = await submitLogin(browser, login, user.email);
    expect(passed.status).toBe(303);
    const next = new URL(passed.location ?? '');
    expect(next.pathname).toBe('/login/second-factor');
    expect(next.searchParams.get('request')).toBe(request);
    expect(next.searchParams.get('return_to')).toBeNull();
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
    const step = await browser.get(next.toString());
    expect(step.status).toBe(200);
    expect(formFields(step.body)).toMatchObject({ request });

    let before = await lastEventId();
    expect((await submit(browser, step, { code: wrongCode(secret) })).status).toBe(401);
    expect(await eventsSince(before)).toEqual([
      expect.objectContaining({ type: 'signin.failed', actor: 'anonymous', subject: user.id, clientId: client.clientId, ip: '127.0.0.1', details: { reason: 'wrong_second_factor' } }),
    ]);

    before = await lastEventId();
    const answer = await submit(browser, step, { code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location?.startsWith(`${client.redirectUri}?`)).toBe(true);
    expect(await eventsSince(before)).toEqual([
      expect.objectContaining({ type: 'signin.succeeded', subject: user.id, clientId: client.clientId, details: expect.objectContaining({ amr: ['pwd', 'otp', 'mfa'] }) }),
    ]);
  });

  it('sends a person with an authenticator from a sign-in to our own page to the code step carrying return_to, and checks it again there', async () => {
    const { user, secret } = await withAuthenticator('page-step');
    const browser = new Browser();
    const login = await browser.get(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
    const passed = await submitLogin(browser, login, user.email);
    expect(passed.status).toBe(303);
    const next = new URL(passed.location ?? '');
    expect(next.pathname).toBe('/login/second-factor');
    expect(next.searchParams.get('return_to')).toBe('/account');
    expect(next.searchParams.get('request')).toBeNull();
    const step = await browser.get(next.toString());
    expect(formFields(step.body)).toMatchObject({ return_to: '/account' });

    let before = await lastEventId();
    expect((await submit(browser, step, { code: wrongCode(secret) })).status).toBe(401);
    expect(await eventsSince(before)).toEqual([expect.objectContaining({ type: 'signin.failed', subject: user.id, clientId: null, details: { reason: 'wrong_second_factor' } })]);

    // A target changed on the way to another site, or dropped, is refused like at the first step.
    before = await lastEventId();
    for (const returnTo of ['https://evil.example/account', '//evil.example/account', undefined]) {
      const moved = await submit(browser, step, { return_to: returnTo, code: totpCodeAt(secret, totpStep(clock.now())) });
      expect(moved.status, String(returnTo)).toBe(400);
      expect(moved.body).toContain('This sign-in link is not valid.');
    }
    expect(await eventsSince(before)).toEqual([]);
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();

    // An empty request field names no application: the page target stands.
    const answer = await submit(browser, step, { request: '', code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/account`);
  });

  it('sends a person without a second factor to set one up when the application requires it, never straight to the application', async () => {
    const user = await newPerson(app, 'strict');
    const browser = new Browser();
    const passed = await submitLogin(browser, await open(browser, app, (await authorizationUrl(strict)).url), user.email);
    expect(passed.status).toBe(303);
    expect(new URL(passed.location ?? '').pathname).toBe('/login/second-factor');
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
    expect((await browser.get(passed.location ?? '')).body).toContain('Set up two-step verification');
  });

  it('answers acr_values asking for two factors, of a person without a second factor, with unmet_authentication_requirements and no session', async () => {
    const user = await newPerson(app, 'acr');
    const browser = new Browser();
    const passed = await submitLogin(browser, await open(browser, app, (await authorizationUrl(client, { acr_values: ACR_MFA })).url), user.email);
    expect(passed.status).toBe(303);
    expect(new URL(passed.location ?? '').searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
  });
});
