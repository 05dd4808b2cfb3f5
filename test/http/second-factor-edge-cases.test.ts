// The second step of a sign-in (src/interaction/second-factor.ts) and the second-factor checks under it
// (src/auth/second-factor.ts, totp-enrolment.ts): the less travelled paths. What changes between the steps (the
// person disabled, the authenticator removed, a passkey added), forms that are not what the page sent, the
// challenge used once, the set-up's key as shown and audited, recovery codes that look like numbers, and the
// throttle forgetting failures after a success. Each refusal writes nothing.
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA } from '../../src/auth/mfa-policy.js';
import { qrSvg } from '../../src/auth/qr-svg.js';
import { recoveryCodeHash } from '../../src/auth/recovery-codes.js';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { checkSecondFactor } from '../../src/auth/second-factor.js';
import { Throttle } from '../../src/auth/throttle.js';
import { bindAuthenticator, confirmEnrolment } from '../../src/auth/totp-enrolment.js';
import { newTotpSecret, otpauthUri, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, PASSWORD, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { waitForMail } from '../helpers/outbox.js';
import { newPerson, signedInPerson, signInToAccount } from './account-helpers.js';

const STEP_MS = 30_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

describe('the second step of a sign-in: edge cases', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let plain: TestClient;
  let strict: TestClient;

  beforeAll(async () => {
    // Five seconds into a time step, so that a step's code stays the current one until the clock is moved.
    clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
    app = await startApp({ clock });
    plain = await addClient(app, { name: 'Wiki' });
    strict = await addClient(app, { name: 'Payroll', requireMfa: true });
  });

  afterAll(async () => {
    await app?.stop();
  });

  const codeOf = (secret: string, offset = 0) => totpCodeAt(secret, totpStep(clock.now()) + offset);
  const secretOn = (page: Page) => /data-testid="totp-secret">([^<]+)</.exec(page.body)?.[1] ?? '';
  const submit = (browser: Browser, page: Page, fields: Record<string, string> = {}) => browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), ...fields });
  const box = () => openSecretBox(app.config);
  const browserCookie = (browser: Browser) => browser.cookie(new URL(app.url).origin, 'gatehouse_browser') ?? '';

  /** A confirmed authenticator for `user`, confirmed at a step long past (the current one unused); returns its secret. */
  async function withAuthenticator(user: UserRecord): Promise<string> {
    const secret = newTotpSecret();
    expect(await app.store.totp.begin({ userId: user.id, sealedSecret: (await box()).seal(secret, totpSecretAad(user.id)), createdAt: clock.now() })).toBe(true);
    expect(await app.store.totp.confirm(user.id, totpStep(clock.now()) - 10, clock.now())).toBe(true);
    return secret;
  }

  async function withPasskey(user: UserRecord): Promise<void> {
    await app.store.passkeys.create({
      credentialId: `cred-${user.id}`,
      userId: user.id,
      name: 'Laptop',
      publicKey: 'AQID',
      counter: 0,
      transports: [],
      deviceType: 'multiDevice',
      backedUp: true,
      createdAt: clock.now(),
    });
  }

  /** Starts a sign-in to `client` and passes the password; `step` is the second step's page. */
  async function passPassword(client: TestClient, user: UserRecord, browser = new Browser(), extra: Record<string, string> = {}) {
    const start = await authorizationUrl(client, extra);
    const passed = await submitLogin(browser, await open(browser, app, start.url), user.email);
    expect(passed.status, passed.body).toBe(303);
    expect(passed.location).toContain('/login/second-factor?challenge=');
    const challenge = new URL(passed.location ?? '').searchParams.get('challenge') ?? '';
    const step = await browser.get(passed.location ?? '');
    return { browser, start, passed, step, challenge };
  }

  async function idTokenOf(client: TestClient, answer: Page, start: AuthorizationStart) {
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.href.startsWith(client.redirectUri), callback.href).toBe(true);
    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    return decodeJwt(tokens.id_token ?? '');
  }

  const challengeRow = async (challenge: string) =>
    (await queryRows<{ value: string; used_at: number | null }>(app, 'SELECT value, used_at FROM sign_in_challenges WHERE id_hash = ?', [sha256(challenge)]))[0];

  describe('what the pages and redirects carry', () => {
    it('sends the second step with Cache-Control no-store, a form-action policy naming the application, and the application’s name', async () => {
      const user = await newPerson(app, 'headers');
      await withAuthenticator(user);
      const { passed, step } = await passPassword(plain, user);
      expect(passed.headers.get('cache-control')).toBe('no-store');
      expect(step.status).toBe(200);
      expect(step.headers.get('cache-control')).toBe('no-store');
      expect(step.headers.get('content-security-policy')).toMatch(new RegExp(`form-action 'self' ${new URL(plain.redirectUri).origin}(;|$)`));
      expect(step.body).toContain('<title>Two-step verification');
      expect(step.body).toContain('to continue to <strong>Wiki</strong>');
      expect(step.body).toContain('name="code"');
    });

    it('tells a person with a passkey to use it, on a page no cache keeps, naming the application (403)', async () => {
      const user = await newPerson(app, 'passkeypage');
      await withPasskey(user);
      const browser = new Browser();
      const start = await authorizationUrl(strict);
      const answer = await submitLogin(browser, await open(browser, app, start.url), user.email);
      expect(answer.status).toBe(403);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.body).toContain('<title>Two-step verification');
      expect(answer.body).toContain('to continue to <strong>Payroll</strong>');
      expect(answer.body).not.toContain('<form method="post" action="/login/second-factor"');
      // The way back is this request's own sign-in page.
      const back = /<a href="([^"]+)">Back to the sign-in page<\/a>/.exec(answer.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
      expect(back).toMatch(/^\/login\?request=[^&]+$/);
      expect((await browser.get(`${app.url}${back}`)).status).toBe(200);
    });

    it('answers unmet acr_values with a description that says what was asked for (OpenID Connect Unmet Authentication Requirements 1.0)', async () => {
      const user = await newPerson(app, 'unmetdesc');
      const browser = new Browser();
      const start = await authorizationUrl(plain, { acr_values: ACR_MFA });
      const answer = await submitLogin(browser, await open(browser, app, start.url), user.email);
      const callback = new URL(answer.location ?? '');
      expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
      expect(callback.searchParams.get('error_description')).toMatch(/multi-factor.*acr_values.*no second factor/);
    });
  });

  describe('what changed since the password', () => {
    it('ends the step when the person was disabled meanwhile: no code is checked, nothing is used up', async () => {
      const user = await newPerson(app, 'disabled');
      const secret = await withAuthenticator(user);
      const { browser, step, challenge } = await passPassword(plain, user);
      await app.store.users.update(user.id, { disabled: true }, clock.now());
      const credential = await app.store.totp.find(user.id);
      expect((await browser.get(step.url)).status).toBe(400);
      const posted = await submit(browser, step, { code: codeOf(secret) });
      expect(posted.status).toBe(400);
      expect(posted.location).toBeNull();
      expect(await app.store.totp.find(user.id)).toEqual(credential);
      expect((await challengeRow(challenge))?.used_at).toBeNull();
    });

    it('ends the step when the authenticator was removed meanwhile, and never turns it into a set-up', async () => {
      const user = await newPerson(app, 'removed');
      await withAuthenticator(user);
      const { browser, step, challenge } = await passPassword(plain, user);
      // The code step's challenge carries no secret to set up.
      expect((await challengeRow(challenge))?.value).toBe('pwd');
      await app.store.totp.remove(user.id);
      const page = await browser.get(step.url);
      expect(page.status).toBe(400);
      expect(page.body).not.toContain('totp-secret');
      expect((await submit(browser, step, { code: '123456' })).status).toBe(400);
      expect(await app.store.totp.find(user.id)).toBeNull();
    });

    it('ends a set-up when a passkey was added meanwhile: nothing is bound', async () => {
      const user = await newPerson(app, 'passkeylater');
      const { browser, step } = await passPassword(strict, user);
      expect(step.body).toContain('Set up two-step verification');
      await withPasskey(user);
      expect((await browser.get(step.url)).status).toBe(400);
      const posted = await submit(browser, step, { code: totpCodeAt(secretOn(step).replace(/\s+/g, ''), totpStep(clock.now())) });
      expect(posted.status).toBe(400);
      expect(await app.store.totp.find(user.id)).toBeNull();
      expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    });

    it('ends the step after ten minutes', async () => {
      const user = await newPerson(app, 'stale');
      const secret = await withAuthenticator(user);
      const { browser, step } = await passPassword(plain, user);
      clock.advance(10 * 60 * 1000);
      expect((await submit(browser, step, { code: codeOf(secret) })).status).toBe(400);
    });

    it('ends a set-up whose sealed secret does not open (another key, or copied from another challenge) like an expired sign-in, not with an error', async () => {
      const user = await newPerson(app, 'sealed');
      const { browser, step, challenge } = await passPassword(strict, user);
      const { value } = (await challengeRow(challenge)) ?? { value: '' };
      expect(value).toMatch(/^pwd enrol=v1\./);
      const request = new URL(step.url).searchParams.get('request') ?? '';
      const now = clock.now();
      const planted = async (id: string, copied: string) => {
        await app.store.signInChallenges.create({
          idHash: sha256(id),
          purpose: 'second_factor',
          browserHash: sha256(browserCookie(browser)),
          userId: user.id,
          value: copied,
          createdAt: now,
          expiresAt: now + 60_000,
        });
        return browser.get(`${app.url}/login/second-factor?${new URLSearchParams({ challenge: id, request })}`);
      };
      // A challenge planted this way is found: one that says both factors were passed is shown.
      expect((await planted(`planted-${user.id}`, 'pwd otp mfa')).status).toBe(200);
      const copies = [value, 'pwd enrol=v1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA', 'pwd enrol=garbage'];
      for (const [index, copied] of copies.entries()) {
        const page = await planted(`copied-${user.id}-${index}`, copied);
        expect(page.status, copied).toBe(400);
        expect(page.body).toContain('This sign-in link has expired or was already used.');
      }
      expect(await app.store.totp.find(user.id)).toBeNull();
    });
  });

  describe('forms that are not what the page sent', () => {
    it('refuses a form carrying another challenge’s CSRF token of the same browser, and uses nothing up (403)', async () => {
      const user = await newPerson(app, 'csrf');
      const secret = await withAuthenticator(user);
      const first = await passPassword(plain, user);
      const second = await passPassword(plain, user, first.browser);
      const firstToken = formFields(first.step.body).csrf ?? '';
      expect(firstToken).not.toBe(formFields(second.step.body).csrf);
      const forged = await submit(second.browser, second.step, { csrf: firstToken, code: codeOf(secret) });
      expect(forged.status).toBe(403);
      expect(forged.body).toContain('The form has expired or did not come from this site. Go back to the application and sign in again.');
      const missing = await submit(second.browser, second.step, { csrf: '', code: codeOf(secret) });
      expect(missing.status).toBe(403);
      // The code was not spent on the refused forms.
      expect((await submit(second.browser, second.step, { code: codeOf(secret) })).status).toBe(303);
    });

    it('takes a code field sent twice as no code (a wrong code, 401), not as an error', async () => {
      const user = await newPerson(app, 'twice');
      const secret = await withAuthenticator(user);
      const { browser, step } = await passPassword(plain, user);
      const fields = new URLSearchParams(formFields(step.body));
      fields.append('code', codeOf(secret));
      fields.append('code', codeOf(secret));
      const answer = await browser.request(formAction(step.body, step.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: fields.toString(),
      });
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('That code is not right.');
    });

    it('takes a challenge field sent twice as no challenge (400)', async () => {
      const user = await newPerson(app, 'twicechallenge');
      const secret = await withAuthenticator(user);
      const { browser, step, challenge } = await passPassword(plain, user);
      const fields = new URLSearchParams({ ...formFields(step.body), code: codeOf(secret) });
      fields.append('challenge', challenge);
      const answer = await browser.request(formAction(step.body, step.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: fields.toString(),
      });
      expect(answer.status).toBe(400);
      expect((await challengeRow(challenge))?.used_at).toBeNull();
    });

    it('refuses a post with no form at all like an expired sign-in (400)', async () => {
      const answer = await new Browser().request(`${app.url}/login/second-factor`, { method: 'POST' });
      expect(answer.status).toBe(400);
    });

    it('reads a code up to its 100th character: what follows is cut off, not checked', async () => {
      const user = await newPerson(app, 'long');
      const secret = await withAuthenticator(user);
      const { browser, step } = await passPassword(plain, user);
      const padded = `${codeOf(secret)}${' '.repeat(94)}x`;
      expect(padded).toHaveLength(101);
      expect((await submit(browser, step, { code: padded })).status).toBe(303);
    });
  });

  describe('the challenge is used once', () => {
    it('refuses the continue form a second time, and shows no recovery codes on a reload', async () => {
      const user = await newPerson(app, 'continue');
      const { browser, step, start } = await passPassword(strict, user);
      const secret = secretOn(step).replace(/\s+/g, '');
      const codes = await submit(browser, step, { code: totpCodeAt(secret, totpStep(clock.now())) });
      expect(codes.status, codes.body).toBe(200);
      expect(codes.body.match(/<li><code>/g)).toHaveLength(10);
      const continueAt = `${app.url}/login/second-factor?${new URLSearchParams({ challenge: formFields(codes.body).challenge ?? '', request: formFields(codes.body).request ?? '' })}`;
      const reload = await browser.get(continueAt);
      expect(reload.status).toBe(200);
      expect(reload.headers.get('cache-control')).toBe('no-store');
      expect(reload.body).toContain('Two-step verification is set up.');
      expect(reload.body).not.toContain('<li><code>');
      expect(reload.body).not.toContain('name="code"');
      const answer = await submit(browser, reload);
      expect((await idTokenOf(strict, answer, start)).amr).toEqual(['pwd', 'otp', 'mfa']);
      const again = await submit(browser, reload);
      expect(again.status).toBe(400);
      expect(again.location).toBeNull();
    });
  });

  describe('setting up during a sign-in', () => {
    it('shows the key in groups of four and the QR code of its key URI; a wrong code shows the same again, says what is wrong, and binds nothing', async () => {
      const user = await newPerson(app, 'display');
      const { browser, step } = await passPassword(strict, user);
      const shown = secretOn(step);
      expect(shown).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/);
      const secret = shown.replace(/ /g, '');
      const expected = await qrSvg(otpauthUri({ secret, accountName: user.email, issuer: new URL(app.config.issuer).hostname }));
      expect(step.body).toContain(expected);

      const wrong = await submit(browser, step, { code: codeOf(secret, 3) });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain('That code is not right. Enter the 6-digit code your app shows now.');
      expect(secretOn(wrong)).toBe(shown);
      expect(wrong.body).toContain(expected);
      expect(await app.store.totp.find(user.id)).toBeNull();
      expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    });

    it('audits the authenticator turned on during a sign-in, by and for the person', async () => {
      const user = await newPerson(app, 'audited');
      const { browser, step } = await passPassword(strict, user);
      const codes = await submit(browser, step, { code: codeOf(secretOn(step).replace(/ /g, '')) });
      expect(codes.status, codes.body).toBe(200);
      const events = await app.store.audit.list({ limit: 10, filter: { subject: user.id } });
      const enabled = events.find((event) => event.type === 'account.totp_enabled');
      expect(enabled).toMatchObject({ actor: user.id, subject: user.id, details: { during: 'sign-in' } });
      expect(enabled?.ip).toBeTruthy();
    });
  });

  describe('the checks under the pages, called with the app’s own store, key and clock', () => {
    const enrolmentDeps = () => ({ store: app.store, clock, secretBox: box, config: { issuer: app.config.issuer } });
    const checkDeps = () => ({ store: app.store, clock, throttle: new Throttle(app.store, clock), secretBox: box });

    it('bindAuthenticator binds nothing over an authenticator confirmed meanwhile (taken), and nothing on a wrong code', async () => {
      const user = await newPerson(app, 'taken');
      await withAuthenticator(user);
      const credential = await app.store.totp.find(user.id);
      const secret = newTotpSecret();
      expect(await bindAuthenticator(enrolmentDeps(), user.id, secret, codeOf(secret))).toEqual({ outcome: 'taken' });
      expect(await app.store.totp.find(user.id)).toEqual(credential);
      expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);

      const fresh = await newPerson(app, 'bindwrong');
      expect(await bindAuthenticator(enrolmentDeps(), fresh.id, secret, codeOf(secret, 5))).toEqual({ outcome: 'wrong_code' });
      expect(await app.store.totp.find(fresh.id)).toBeNull();
    });

    it('bindAuthenticator binds the secret it was given, records the code’s step as used, and issues ten recovery codes', async () => {
      const user = await newPerson(app, 'bound');
      const secret = newTotpSecret();
      const bound = await bindAuthenticator(enrolmentDeps(), user.id, secret, codeOf(secret));
      expect(bound.outcome).toBe('bound');
      expect(bound.outcome === 'bound' ? bound.codes : []).toHaveLength(10);
      const credential = await app.store.totp.find(user.id);
      expect(credential?.confirmedAt).toBe(clock.now());
      expect((await box()).open(credential?.sealedSecret ?? '', totpSecretAad(user.id))).toBe(secret);
      expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(10);
      // The code that bound it cannot then sign anyone in (RFC 6238 §5.2).
      expect(await checkSecondFactor(checkDeps(), user, codeOf(secret), '127.0.0.1')).toEqual({ outcome: 'refused' });
    });

    it('confirmEnrolment answers null, writing nothing, when nothing is pending or the authenticator is already confirmed', async () => {
      const user = await newPerson(app, 'nothingpending');
      expect(await confirmEnrolment(enrolmentDeps(), user.id, '123456')).toBeNull();
      expect(await app.store.totp.find(user.id)).toBeNull();
      const secret = await withAuthenticator(user);
      const credential = await app.store.totp.find(user.id);
      expect(await confirmEnrolment(enrolmentDeps(), user.id, codeOf(secret))).toBeNull();
      expect(await app.store.totp.find(user.id)).toEqual(credential);
      expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    });

    it('checkSecondFactor refuses a six-digit code of a person with no authenticator, or with one never confirmed', async () => {
      const user = await newPerson(app, 'nocredential');
      expect(await checkSecondFactor(checkDeps(), user, '123456', '127.0.0.1')).toEqual({ outcome: 'refused' });
      const secret = newTotpSecret();
      expect(await app.store.totp.begin({ userId: user.id, sealedSecret: (await box()).seal(secret, totpSecretAad(user.id)), createdAt: clock.now() })).toBe(true);
      expect(await checkSecondFactor(checkDeps(), user, codeOf(secret), '127.0.0.1')).toEqual({ outcome: 'refused' });
      expect(await checkSecondFactor(checkDeps(), user, codeOf(secret, -1), '127.0.0.1')).toEqual({ outcome: 'refused' });
    });
  });

  describe('the account page’s set-up', () => {
    it('shows no key once the authenticator is confirmed, nor when none was started: the page sends back to the account', async () => {
      const user = await newPerson(app, 'noshow');
      const person = await signedInPerson(app, user);
      const none = await person.browser.get(`${app.url}/account/two-factor`);
      expect(none.status).toBe(303);
      expect(none.location).toBe(`${app.url}/account`);
      const confirmNothing = await person.post('/account/two-factor/confirm', { code: '123456' });
      expect(confirmNothing.status).toBe(303);
      expect(await app.store.totp.find(user.id)).toBeNull();

      expect((await person.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
      const setup = await person.browser.get(`${app.url}/account/two-factor`);
      const shown = secretOn(setup);
      expect(shown).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/);
      const confirmed = await person.browser.postForm(`${app.url}/account/two-factor/confirm`, { ...formFields(setup.body), code: codeOf(shown.replace(/ /g, '')) });
      expect(confirmed.status, confirmed.body).toBe(200);
      const after = await person.browser.get(`${app.url}/account/two-factor`);
      expect(after.status).toBe(303);
      expect(after.body).not.toContain(shown);
      expect(after.body).not.toContain('totp-secret');
    });
  });

  describe('the code step', () => {
    it('audits a wrong code as a failed sign-in to the application (wrong_second_factor)', async () => {
      const user = await newPerson(app, 'wrongaudit');
      await withAuthenticator(user);
      const { browser, step } = await passPassword(plain, user);
      const wrong = await submit(browser, step, { code: 'aaaaa-bbbbb' });
      expect(wrong.status).toBe(401);
      // The page asks again for a code, the message tied to the field.
      expect(wrong.body).toContain('name="code"');
      expect(wrong.body).toContain('aria-describedby="code-error" aria-invalid="true"');
      expect(wrong.body).not.toContain('Two-step verification is set up.');
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: user.id } });
      expect(event).toMatchObject({ type: 'signin.failed', outcome: 'failure', subject: user.id, clientId: plain.clientId, details: { reason: 'wrong_second_factor' } });
    });

    it('forgets the account’s wrong codes after a right one: a later sign-in is not throttled by them (NIST SP 800-63B §5.2.2)', async () => {
      const user = await newPerson(app, 'forget');
      const secret = await withAuthenticator(user);
      const first = await passPassword(plain, user);
      for (let attempt = 0; attempt < 4; attempt++) expect((await submit(first.browser, first.step, { code: 'aaaaa-bbbbb' })).status).toBe(401);
      expect((await submit(first.browser, first.step, { code: codeOf(secret) })).status).toBe(303);
      clock.advance(STEP_MS);
      const second = await passPassword(plain, user);
      expect((await submit(second.browser, second.step, { code: 'aaaaa-bbbbb' })).status).toBe(401);
      expect((await submit(second.browser, second.step, { code: codeOf(secret) })).status).toBe(303);
    });

    it('keeps asking for a code on the throttled page (429), the message tied to the field', async () => {
      const user = await newPerson(app, 'throttledpage');
      const secret = await withAuthenticator(user);
      const { browser, step } = await passPassword(plain, user);
      for (let attempt = 0; attempt < 5; attempt++) expect((await submit(browser, step, { code: 'aaaaa-bbbbb' })).status).toBe(401);
      const refused = await submit(browser, step, { code: codeOf(secret) });
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('name="code"');
      expect(refused.body).toContain('aria-describedby="code-error" aria-invalid="true"');
      expect(refused.body).not.toContain('Two-step verification is set up.');
    });

    it('takes an app’s code typed with spaces, as apps show it ("123 456")', async () => {
      const user = await newPerson(app, 'spaced');
      const secret = await withAuthenticator(user);
      const { browser, step } = await passPassword(plain, user);
      const code = codeOf(secret);
      expect((await submit(browser, step, { code: ` ${code.slice(0, 3)} ${code.slice(3)} ` })).status).toBe(303);
    });

    it('counts wrong codes on the account’s one budget that passkey answers share (NIST SP 800-63B §5.2.2): after five, a passkey is refused too (429)', async () => {
      const user = await newPerson(app, 'shared');
      await withAuthenticator(user);
      const credentialId = Buffer.from(`shared-${user.id}`).toString('base64url');
      await app.store.passkeys.create({
        credentialId,
        userId: user.id,
        name: 'Laptop',
        publicKey: 'AQID',
        counter: 0,
        transports: [],
        deviceType: 'multiDevice',
        backedUp: true,
        createdAt: clock.now(),
      });
      const { browser, step } = await passPassword(plain, user);
      for (let attempt = 0; attempt < 5; attempt++) expect((await submit(browser, step, { code: 'aaaaa-bbbbb' })).status).toBe(401);
      const start = await authorizationUrl(plain);
      const fields = formFields((await open(browser, app, start.url)).body);
      const answer = await browser.request(`${app.url}/login/passkey`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          request: fields.request,
          csrf: fields.csrf,
          challengeId: 'none',
          response: { id: credentialId, rawId: credentialId, type: 'public-key', response: { clientDataJSON: 'AA', authenticatorData: 'AA', signature: 'AA' } },
        }),
      });
      expect(answer.status, answer.body).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('takes a recovery code that begins or ends with six digits, typed with a space for the dash, as a recovery code', async () => {
      const user = await newPerson(app, 'digits');
      await withAuthenticator(user);
      const codes = ['23456-7abcd', 'abcd2-34567'];
      const secrets = await box();
      await app.store.recoveryCodes.replace(
        user.id,
        codes.map((code) => recoveryCodeHash(secrets, user.id, code)),
        clock.now(),
      );
      for (const typed of ['23456 7abcd', 'abcd2 34567']) {
        const { browser, step } = await passPassword(plain, user);
        expect((await submit(browser, step, { code: typed })).status, typed).toBe(303);
      }
      expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    });

    it('does not ask a person whose only set-up was never confirmed for a code: it is no second factor', async () => {
      const user = await newPerson(app, 'pendingonly');
      const owner = await signedInPerson(app, user);
      expect((await owner.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
      const browser = new Browser();
      const start = await authorizationUrl(plain);
      const answer = await submitLogin(browser, await open(browser, app, start.url), user.email);
      expect((await idTokenOf(plain, answer, start)).amr).toEqual(['pwd']);
    });
  });

  describe('our own pages under REQUIRE_MFA (return_to, no pending request to use up)', () => {
    let strictApp: RunningApp;

    beforeAll(async () => {
      strictApp = await startApp({ clock, env: { REQUIRE_MFA: 'true' } });
    });

    afterAll(async () => {
      await strictApp?.stop();
    });

    it('tells a person with a passkey to use it, with the way back to the same page’s sign-in, naming no application', async () => {
      const user = await newPerson(strictApp, 'ownpasskey');
      await strictApp.store.passkeys.create({
        credentialId: `own-${user.id}`,
        userId: user.id,
        name: 'Laptop',
        publicKey: 'AQID',
        counter: 0,
        transports: [],
        deviceType: 'multiDevice',
        backedUp: true,
        createdAt: clock.now(),
      });
      const browser = new Browser();
      const answer = await signInToAccount(strictApp, user.email, browser);
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('data-testid="passkey-hint"');
      expect(answer.body).not.toContain('to continue to');
      const back = /<a href="([^"]+)">Back to the sign-in page<\/a>/.exec(answer.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
      expect(back).toBe(`/login?return_to=${encodeURIComponent('/account')}`);
      expect((await browser.get(`${strictApp.url}${back}`)).status).toBe(200);
    });

    it('uses each challenge once: the set-up form and the continue form cannot be posted again, and the continue step keeps no secret', async () => {
      const user = await newPerson(strictApp, 'ownonce');
      const browser = new Browser();
      const passed = await signInToAccount(strictApp, user.email, browser);
      expect(passed.status).toBe(303);
      const setUp = await browser.get(passed.location ?? '');
      expect(setUp.body).toContain('Set up two-step verification');
      const secret = secretOn(setUp).replace(/ /g, '');
      const firstCode = codeOf(secret);
      const codes = await submit(browser, setUp, { code: firstCode });
      expect(codes.status, codes.body).toBe(200);
      expect(codes.body.match(/<li><code>/g)).toHaveLength(10);
      // The owner is told, with the address it was done from.
      const mail = await waitForMail(strictApp.config.dataDir, user.email, { subject: /^How you sign in at .+ changed$/ });
      expect(mail.text).toMatch(/from the address \S*127\.0\.0\.1/);

      // The set-up's challenge is used: posting it again is refused as used, not taken as a code.
      const replayed = await submit(browser, setUp, { code: firstCode });
      expect(replayed.status).toBe(400);
      expect(replayed.body).toContain('This sign-in link has expired or was already used.');

      // The next challenge says both factors were passed, and holds no secret any more.
      const next = formFields(codes.body).challenge ?? '';
      const rows = await queryRows<{ value: string }>(strictApp, 'SELECT value FROM sign_in_challenges WHERE id_hash = ?', [sha256(next)]);
      expect(rows.map((row) => row.value)).toEqual(['pwd otp mfa']);

      const done = await submit(browser, codes);
      expect(done.status, done.body).toBe(303);
      expect(done.location).toBe(`${strictApp.url}/account`);
      const again = await submit(browser, codes);
      expect(again.status).toBe(400);
      expect(again.location).toBeNull();
    });
  });
});
