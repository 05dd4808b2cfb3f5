// Two-step verification with an authenticator app (RFC 6238 TOTP) and recovery codes: set up from the account
// page, then asked after the password at every sign-in. The fake clock places each code in its time step.
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { queryRows } from '../helpers/rows.js';
import { addClient, authorizationUrl, open, PASSWORD, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, personIn, signedInPerson, signInToAccount, type SignedInPerson } from './account-helpers.js';

const STEP_MS = 30_000;

describe('two-step verification with an authenticator app (RFC 6238) and recovery codes', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;

  beforeAll(async () => {
    // Five seconds into a time step, so that a step's code stays the current one until the clock is moved.
    clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
    app = await startApp({ clock });
    client = await addClient(app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  const codeNow = (secret: string, offset = 0) => totpCodeAt(secret, totpStep(clock.now()) + offset);

  /** Sets up and confirms an authenticator for `person`; returns its secret and the recovery codes shown. */
  async function enrol(person: SignedInPerson): Promise<{ secret: string; codes: string[] }> {
    const started = await person.post('/account/two-factor/setup', { current_password: PASSWORD });
    expect(started.status, started.body).toBe(303);
    const setup = await person.browser.get(`${app.url}/account/two-factor`);
    expect(setup.status).toBe(200);
    expect(setup.body).toContain('<svg');
    const secret = (/data-testid="totp-secret">([^<]+)</.exec(setup.body)?.[1] ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const confirmed = await person.browser.postForm(`${app.url}/account/two-factor/confirm`, { ...formFields(setup.body), code: codeNow(secret) });
    expect(confirmed.status, confirmed.body).toBe(200);
    const codes = [...confirmed.body.matchAll(/<li><code>([a-z2-9-]+)<\/code><\/li>/g)].map((match) => match[1] ?? '');
    return { secret, codes };
  }

  /** Starts a sign-in to the client in a fresh browser and passes the password; returns the second step's page. */
  async function passPassword(user: UserRecord, browser = new Browser()): Promise<{ browser: Browser; step: Page; start: Awaited<ReturnType<typeof authorizationUrl>> }> {
    const start = await authorizationUrl(client);
    const login = await open(browser, app, start.url);
    const answer = await submitLogin(browser, login, user.email);
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toContain('/login/second-factor?challenge=');
    const step = await browser.get(answer.location ?? '');
    expect(step.status).toBe(200);
    return { browser, step, start };
  }

  const submitCode = (browser: Browser, step: Page, code: string) => browser.postForm(formAction(step.body, step.url), { ...formFields(step.body), code });

  it('sets up an authenticator from the account page: a QR code and the key, confirmed by a first code, then ten recovery codes shown once', async () => {
    const user = await newPerson(app, 'enrol');
    const person = await signedInPerson(app, user);
    expect((await person.page()).body).toContain('data-testid="two-factor-status">Off.');

    const { codes } = await enrol(person);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const credential = await app.store.totp.find(user.id);
    expect(credential?.confirmedAt).not.toBeNull();
    // Sealed at rest: the stored value is not the key the page showed.
    expect(credential?.sealedSecret.startsWith('v1.')).toBe(true);
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(10);
    expect((await person.page()).body).toContain('10 of 10 recovery codes left.');
    const events = await app.store.audit.list({ limit: 20, filter: { subject: user.id } });
    expect(events.map((event) => event.type)).toContain('account.totp_enabled');
    // The owner hears of it: someone who learnt the password cannot quietly add their own authenticator.
    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /^How you sign in at .+ changed$/ });
    expect(mail.text).toContain('Two-step verification was turned on');
    expect(mail.text).toContain(`${app.url}/account`);
  });

  it('refuses to start without the current password, and to confirm with a wrong code, writing nothing', async () => {
    const user = await newPerson(app, 'refused');
    const person = await signedInPerson(app, user);
    const wrongPassword = await person.post('/account/two-factor/setup', { current_password: 'not my password at all' });
    expect(wrongPassword.status).toBe(400);
    expect(await app.store.totp.find(user.id)).toBeNull();

    await person.post('/account/two-factor/setup', { current_password: PASSWORD });
    const setup = await person.browser.get(`${app.url}/account/two-factor`);
    const wrongCode = await person.browser.postForm(`${app.url}/account/two-factor/confirm`, { ...formFields(setup.body), code: '000000' });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body).toContain('That code is not right.');
    expect((await app.store.totp.find(user.id))?.confirmedAt).toBeNull();
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
  });

  it('asks for a code after the password, and puts pwd, otp and mfa in the ID token (RFC 8176)', async () => {
    const user = await newPerson(app, 'signin');
    const { secret } = await enrol(await signedInPerson(app, user));
    clock.advance(STEP_MS);
    const { browser, step, start } = await passPassword(user);
    expect(step.body).toContain('Two-step verification');

    const wrong = await submitCode(browser, step, '123456' === codeNow(secret) ? '654321' : '123456');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That code is not right.');

    const answer = await submitCode(browser, step, codeNow(secret));
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.href.startsWith(client.redirectUri)).toBe(true);
    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    expect(decodeJwt(tokens.id_token ?? '').amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('accepts a code one step either side of now, refuses one two steps away, and never accepts a code twice', async () => {
    const user = await newPerson(app, 'window');
    const { secret } = await enrol(await signedInPerson(app, user));
    clock.advance(5 * STEP_MS);

    const early = await passPassword(user);
    expect((await submitCode(early.browser, early.step, codeNow(secret, 2))).status).toBe(401);
    expect((await submitCode(early.browser, early.step, codeNow(secret, -1))).status).toBe(303);

    // The current step's code was not used yet: accepted once, then refused as a replay, in another sign-in.
    const first = await passPassword(user);
    expect((await submitCode(first.browser, first.step, codeNow(secret))).status).toBe(303);
    const replay = await passPassword(user);
    expect((await submitCode(replay.browser, replay.step, codeNow(secret))).status).toBe(401);
    // An earlier step's code is refused once a later one was used.
    expect((await submitCode(replay.browser, replay.step, codeNow(secret, -1))).status).toBe(401);
  });

  it('accepts each recovery code once, in place of a code from the app', async () => {
    const user = await newPerson(app, 'recovery');
    const { codes } = await enrol(await signedInPerson(app, user));
    const [code] = codes;
    const first = await passPassword(user);
    expect((await submitCode(first.browser, first.step, (code ?? '').toUpperCase())).status).toBe(303);
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(9);
    const again = await passPassword(user);
    expect((await submitCode(again.browser, again.step, code ?? '')).status).toBe(401);
  });

  it('throttles wrong codes like passwords: after five, the next attempt waits (429 with Retry-After)', async () => {
    const user = await newPerson(app, 'throttle');
    const { secret } = await enrol(await signedInPerson(app, user));
    clock.advance(STEP_MS);
    const { browser, step } = await passPassword(user);
    for (let attempt = 0; attempt < 5; attempt++) expect((await submitCode(browser, step, 'aaaaa-bbbbb')).status).toBe(401);
    const refused = await submitCode(browser, step, codeNow(secret));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('Too many wrong codes for this account.');
  });

  it('binds the second step to the browser that passed the password', async () => {
    const user = await newPerson(app, 'bound');
    const { secret } = await enrol(await signedInPerson(app, user));
    clock.advance(STEP_MS);
    const { step } = await passPassword(user);
    const stranger = new Browser();
    const stolen = await stranger.get(step.url);
    expect(stolen.status).toBe(400);
    const posted = await stranger.postForm(formAction(step.body, step.url), { ...formFields(step.body), code: codeNow(secret) });
    expect(posted.status).toBe(400);
    expect(posted.location).toBeNull();
  });

  it('turns off with the current password and a current code: the recovery codes go, and sign-in asks only for the password again', async () => {
    const user = await newPerson(app, 'off');
    const person = await signedInPerson(app, user);
    const { secret } = await enrol(person);
    clock.advance(STEP_MS);
    const off = await person.post('/account/two-factor/remove', { current_password: PASSWORD, code: codeNow(secret) });
    expect(off.status, off.body).toBe(303);
    expect(await app.store.totp.find(user.id)).toBeNull();
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /^How you sign in at /, skip: 1 });
    expect(mail.text).toContain('Two-step verification was turned off');

    const start = await authorizationUrl(client);
    const browser = new Browser();
    const answer = await submitLogin(browser, await open(browser, app, start.url), user.email);
    expect(answer.status).toBe(303);
    expect(answer.location?.startsWith(client.redirectUri)).toBe(true);
  });

  /** The mails the outbox holds for `email` now. */
  const mailsTo = async (email: string) => (await readOutbox(app.config.dataDir)).filter((mail) => mail.to === email).length;

  it('refuses, with the password alone, to turn two-step verification off or to make new recovery codes, writing nothing (issue 19, F8)', async () => {
    const user = await newPerson(app, 'strip');
    // Signed in with the password only: a stolen session and a known password.
    const person = await signedInPerson(app, user);
    const { secret, codes } = await enrol(person);
    await waitForMail(app.config.dataDir, user.email, { subject: /^How you sign in at / });
    const credential = await app.store.totp.find(user.id);
    const mails = await mailsTo(user.email);
    clock.advance(STEP_MS);

    for (const path of ['/account/two-factor/remove', '/account/two-factor/recovery-codes']) {
      const refused = await person.post(path, { current_password: PASSWORD });
      expect(refused.status, path).toBe(400);
      expect(refused.body).toContain('id="two-factor-code-error"');
      expect(refused.body).toContain('Enter a code from your authenticator app, or one of your recovery codes.');
      const wrong = await person.post(path, { current_password: PASSWORD, code: codeNow(secret) === '123456' ? '654321' : '123456' });
      expect(wrong.status, path).toBe(400);
      expect(wrong.body).toContain('That code is not right.');
    }
    // Nothing written: the same authenticator, the same ten codes, no notice mailed.
    expect(await app.store.totp.find(user.id)).toEqual(credential);
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(10);
    expect(await mailsTo(user.email)).toBe(mails);
    const events = await app.store.audit.list({ limit: 10, filter: { subject: user.id } });
    expect(events.map((event) => event.type)).not.toContain('account.totp_disabled');
    expect(events.map((event) => event.type)).toContain('account.second_factor_check_failed');

    // A recovery code is a current factor: new codes are made, and that one is used up with the old set.
    const replaced = await person.post('/account/two-factor/recovery-codes', { current_password: PASSWORD, code: codes[0] ?? '' });
    expect(replaced.status, replaced.body).toBe(200);
    expect(replaced.body.match(/<li><code>/g)).toHaveLength(10);
    // So is a code from the app.
    const off = await person.post('/account/two-factor/remove', { current_password: PASSWORD, code: codeNow(secret) });
    expect(off.status, off.body).toBe(303);
    expect(await app.store.totp.find(user.id)).toBeNull();
  });

  it('takes a sign-in with two factors in the last 15 minutes instead of a code, and not later', async () => {
    const user = await newPerson(app, 'recent');
    const { secret } = await enrol(await signedInPerson(app, user));
    clock.advance(STEP_MS);
    // Signed in to the account page with the password and a code: the session's amr says mfa.
    const browser = new Browser();
    const passed = await signInToAccount(app, user.email, browser);
    const step = await browser.get(passed.location ?? '');
    expect((await submitCode(browser, step, codeNow(secret))).status).toBe(303);
    const person = personIn(app, user, browser);

    clock.advance(14 * 60 * 1000);
    const fresh = await person.post('/account/two-factor/recovery-codes', { current_password: PASSWORD });
    expect(fresh.status, fresh.body).toBe(200);
    expect(fresh.body.match(/<li><code>/g)).toHaveLength(10);

    clock.advance(60 * 1000);
    const credential = await app.store.totp.find(user.id);
    const stale = await person.post('/account/two-factor/remove', { current_password: PASSWORD });
    expect(stale.status).toBe(400);
    expect(stale.body).toContain('Enter a code from your authenticator app');
    expect(await app.store.totp.find(user.id)).toEqual(credential);
    const off = await person.post('/account/two-factor/remove', { current_password: PASSWORD, code: codeNow(secret) });
    expect(off.status, off.body).toBe(303);
    expect(await app.store.totp.find(user.id)).toBeNull();
  });

  it('still asks only for the password to drop a set-up that was never confirmed (it is no factor yet)', async () => {
    const user = await newPerson(app, 'unconfirmed');
    const person = await signedInPerson(app, user);
    await person.post('/account/two-factor/setup', { current_password: PASSWORD });
    const dropped = await person.post('/account/two-factor/remove', { current_password: PASSWORD });
    expect(dropped.status).toBe(303);
    expect(await app.store.totp.find(user.id)).toBeNull();
  });

  it('keeps recovery codes keyed at rest: no stored value is the SHA-256 of a code (issue 19, F7)', async () => {
    const user = await newPerson(app, 'keyed');
    const { codes } = await enrol(await signedInPerson(app, user));
    const stored = (await queryRows<{ code_hash: string }>(app, 'SELECT code_hash FROM recovery_codes WHERE user_id = ?', [user.id])).map((row) => row.code_hash);
    expect(stored).toHaveLength(10);
    // Computed here with node:crypto, not with the code under test: the plain hash a database copy would give away.
    const plain = new Set(codes.map((code) => createHash('sha256').update(code.replace(/-/g, '')).digest('base64url')));
    for (const value of stored) {
      expect(plain.has(value)).toBe(false);
      expect(plain.has(value.replace(/^h1:/, ''))).toBe(false);
      expect(value).toMatch(/^h1:[A-Za-z0-9_-]{22}$/);
    }
  });

  it('still accepts, once, a recovery code stored the old way (plain SHA-256)', async () => {
    const user = await newPerson(app, 'legacy');
    await enrol(await signedInPerson(app, user));
    const legacy = 'abcde-fghjk';
    await app.store.recoveryCodes.replace(user.id, [createHash('sha256').update('abcdefghjk').digest('base64url')], clock.now());
    clock.advance(STEP_MS);
    const first = await passPassword(user);
    expect((await submitCode(first.browser, first.step, legacy.toUpperCase())).status).toBe(303);
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    const again = await passPassword(user);
    expect((await submitCode(again.browser, again.step, legacy)).status).toBe(401);
  });
});
