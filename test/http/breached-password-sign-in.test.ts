// BREACHED_PASSWORDS_FILE at sign-in (issue 20; src/interaction/new-password.ts, sign-in-steps.ts): a person whose
// password is in the corpus signs in, passes every other factor first, then must choose a new password before the
// pending request resumes. The abuse cases: the breached password alone never chooses the next one (the second
// factor comes first); the step is bound to the browser that passed the factors, used once, refused over a
// password changed meanwhile, and a refusal (CSRF, mismatch, weak or breached new password) writes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { corpusOf } from '../helpers/breach-corpus.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, PASSWORD, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { readOutbox } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { refusedPasswords } from './password-reasons-cases.js';
import { newPerson, signedInPerson } from './account-helpers.js';

const STEP_MS = 30_000;
/** In the corpus: the password these people signed up with elsewhere. */
const BREACHED = 'Tr0ub4dor&3 from an old breach';
/** Also in the corpus: refused as the new one. */
const ALSO_BREACHED = 'another phrase leaked somewhere else';
const NEW_PASSWORD = 'violet kettle drums under quiet harbour 47';

describe('a breached password at sign-in (BREACHED_PASSWORDS_FILE)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-breach-'));
  const corpus = path.join(dir, 'pwned-passwords-sha1-ordered-by-hash.txt');
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;
  let origin: string;

  beforeAll(async () => {
    corpusOf(corpus, [BREACHED, ALSO_BREACHED], 3000, { crlf: true });
    clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
    app = await startApp({ clock, env: { BREACHED_PASSWORDS_FILE: corpus } });
    origin = new URL(app.config.issuer).origin;
    client = await addClient(app, { name: 'Wiki' });
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = (browser: Browser, page: Page, fields: Record<string, string> = {}) => browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), ...fields });
  const events = async (userId: string) =>
    (await app.store.audit.list({ limit: 200 }))
      .filter((event) => event.subject === userId)
      .map((event) => event.type)
      .reverse();

  /** A person whose current password is the breached one. */
  async function breachedPerson(label: string): Promise<UserRecord> {
    const user = await newPerson(app, label);
    return (await app.store.users.update(user.id, { passwordHash: await hashPassword(BREACHED) }, clock.now())) ?? user;
  }

  async function passwordIs(userId: string, password: string): Promise<boolean> {
    const user = await app.store.users.findById(userId);
    return verifyPassword(user?.passwordHash ?? '', password);
  }

  /** Signs in to the application with the breached password; returns the browser at the new-password page. */
  async function atNewPasswordStep(user: UserRecord, browser = new Browser()) {
    const start = await authorizationUrl(client);
    const login = await open(browser, app, start.url);
    const passed = await submitLogin(browser, login, user.email, BREACHED);
    expect(passed.status, passed.body).toBe(303);
    expect(passed.headers.get('cache-control')).toBe('no-store');
    const next = new URL(passed.location ?? '');
    expect(next.pathname).toBe('/login/new-password');
    expect(next.searchParams.get('request')).toBe(formFields(login.body).request);
    const page = await browser.get(next.toString());
    return { browser, start, page, url: next };
  }

  it('asks for a new password before the code; refusals write nothing; the chosen one completes the pending request with a fresh start', async () => {
    const user = await breachedPerson('breached');
    // A session the breached password opened elsewhere earlier: it ends with the change.
    const elsewhere = await signedInElsewhere(user);
    const { browser, start, page } = await atNewPasswordStep(user);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="breached-notice"');
    expect(page.body).toContain('<strong>Wiki</strong>');
    expect(page.body).toMatch(/<title>[^<]*Choose a new password[^<]*<\/title>/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    // The form posts here, then the browser goes on to the application: form-action allows its origin.
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${new URL(client.redirectUri).origin}`);
    // No session, no code yet: the step stands between the password and the application.
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
    expect(await events(user.id)).toContain('signin.password_breached');

    // Refused, each with its reason, nothing written.
    const mismatch = await submit(browser, page, { password: NEW_PASSWORD, confirm: `${NEW_PASSWORD}!` });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords are not the same.');
    const again = await submit(browser, page, { password: BREACHED, confirm: BREACHED });
    expect(again.status).toBe(400);
    expect(again.body).toContain('is on a list of passwords seen in breaches');
    const other = await submit(browser, page, { password: ALSO_BREACHED, confirm: ALSO_BREACHED });
    expect(other.status).toBe(400);
    expect(other.body).toContain('is on a list of passwords seen in breaches');
    const short = await submit(browser, page, { password: 'short', confirm: 'short' });
    expect(short.status).toBe(400);
    expect(short.body).toContain(`<p class="field-error" id="password-error">The password must be at least ${app.config.passwordMinLength} characters long.</p>`);
    // The same policy as every other form, with its reasons (test/http/password-reasons-cases.ts).
    for (const [weak, reason] of refusedPasswords(app.config.issuer)) {
      const refused = await submit(browser, page, { password: weak, confirm: weak });
      expect(refused.status, weak).toBe(400);
      expect(refused.body, weak).toContain(reason);
    }
    const named = await submit(browser, page, { password: 'Ada Lovelace forever', confirm: 'Ada Lovelace forever' });
    expect(named.status).toBe(400);
    expect(named.body).toContain('contains the name or email address of the account');
    const forged = await submit(browser, page, { password: NEW_PASSWORD, confirm: NEW_PASSWORD, csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('Go back to the application and sign in again.');
    expect(await passwordIs(user.id, BREACHED)).toBe(true);
    expect(await elsewhere.signedIn()).toBe(true);

    const done = await submit(browser, page, { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(done.status, done.body).toBe(303);
    const callback = new URL(done.location ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(client.redirectUri);
    expect(callback.searchParams.get('state')).toBe(start.state);
    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    expect(decodeJwt(tokens.id_token ?? '')).toMatchObject({ sub: user.id, amr: ['pwd'] });
    expect(browser.cookie(origin, 'gatehouse_session')).toBeDefined();

    expect(await passwordIs(user.id, NEW_PASSWORD)).toBe(true);
    expect(await passwordIs(user.id, BREACHED)).toBe(false);
    expect(await elsewhere.signedIn()).toBe(false);
    const types = await events(user.id);
    expect(types.slice(types.indexOf('signin.password_breached'))).toEqual(['signin.password_breached', 'session.ended', 'account.password_changed', 'signin.succeeded']);
    const mine = (await app.store.audit.list({ limit: 50 })).filter((event) => event.subject === user.id);
    expect(mine.find((event) => event.type === 'account.password_changed')).toMatchObject({
      actor: user.id,
      clientId: client.clientId,
      ip: '127.0.0.1',
      details: { during: 'sign-in', reason: 'breached' },
    });
    expect(mine.find((event) => event.type === 'signin.password_breached')).toMatchObject({ actor: user.id, clientId: client.clientId, ip: '127.0.0.1' });
    expect(mine.find((event) => event.type === 'session.ended')?.details).toMatchObject({ reason: 'password_set' });
    await expect.poll(async () => (await readOutbox(app.config.dataDir)).some((mail) => mail.to === user.email && /password/i.test(mail.subject))).toBe(true);

    // The same form again: the step was used; the password stays the chosen one.
    const replay = await submit(browser, page, { password: `${NEW_PASSWORD} twice`, confirm: `${NEW_PASSWORD} twice` });
    expect(replay.status).toBe(400);
    expect(await passwordIs(user.id, NEW_PASSWORD)).toBe(true);

    // The next sign-in with the new password asks nothing more.
    const next = new Browser();
    const login = await open(next, app, (await authorizationUrl(client)).url);
    const passed = await submitLogin(next, login, user.email, NEW_PASSWORD);
    expect(passed.location?.startsWith(`${client.redirectUri}?`)).toBe(true);
  });

  it('comes after the second factor: the breached password alone never reaches the new-password form', async () => {
    const { user, secret } = await withAuthenticator('breached-totp');
    const browser = new Browser();
    const login = await open(browser, app, (await authorizationUrl(client)).url);
    const passed = await submitLogin(browser, login, user.email, BREACHED);
    expect(new URL(passed.location ?? '').pathname).toBe('/login/second-factor');
    // Jumping to the new-password page with the second step's challenge is refused: it is another step's.
    const challenge = new URL(passed.location ?? '').searchParams.get('challenge') ?? '';
    const jump = await browser.get(`${app.url}/login/new-password?${new URLSearchParams({ challenge, request: formFields(login.body).request ?? '' }).toString()}`);
    expect(jump.status).toBe(400);
    expect(await events(user.id)).not.toContain('signin.password_breached');

    const step = await browser.get(passed.location ?? '');
    const coded = await submit(browser, step, { code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(coded.status, coded.body).toBe(303);
    expect(new URL(coded.location ?? '').pathname).toBe('/login/new-password');
    const page = await browser.get(coded.location ?? '');
    const done = await submit(browser, page, { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(done.status, done.body).toBe(303);
    expect(done.location?.startsWith(`${client.redirectUri}?`)).toBe(true);
    expect(await passwordIs(user.id, NEW_PASSWORD)).toBe(true);
    const stored = await app.store.sessions.listForUser(user.id, clock.now());
    expect(stored.map((session) => session.amr)).toEqual([['pwd', 'otp', 'mfa']]);
  });

  it('sets the password once when the form is sent twice at the same time: one answer goes on, the other finds the step used', async () => {
    const user = await breachedPerson('breached-twice');
    const { browser, page } = await atNewPasswordStep(user);
    const first = 'copper lantern beside the winter canal 81';
    const second = 'seventeen quiet herons over marsh water';
    const answers = await Promise.all([submit(browser, page, { password: first, confirm: first }), submit(browser, page, { password: second, confirm: second })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400]);
    const won = answers[0]?.status === 303 ? first : second;
    expect(await passwordIs(user.id, won)).toBe(true);
    expect((await events(user.id)).filter((type) => type === 'account.password_changed')).toHaveLength(1);
  });

  it('is bound to the browser that passed the factors: another browser can neither see nor send it', async () => {
    const user = await breachedPerson('breached-browser');
    const { page, url } = await atNewPasswordStep(user);
    const stranger = new Browser();
    expect((await stranger.get(url.toString())).status).toBe(400);
    const sent = await stranger.postForm(formAction(page.body, page.url), { ...formFields(page.body), password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect([400, 403]).toContain(sent.status);
    expect(await passwordIs(user.id, BREACHED)).toBe(true);
  });

  it('does not overwrite a password set meanwhile elsewhere', async () => {
    const user = await breachedPerson('breached-race');
    const { browser, page } = await atNewPasswordStep(user);
    const elsewhere = 'set by an administrator meanwhile 2219';
    await app.store.users.update(user.id, { passwordHash: await hashPassword(elsewhere) }, clock.now());
    const sent = await submit(browser, page, { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(sent.status).toBe(400);
    expect(await passwordIs(user.id, elsewhere)).toBe(true);
    expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
  });

  it('works for a sign-in to our own pages (return_to): back to the account page once the new password is set', async () => {
    const user = await breachedPerson('breached-account');
    const browser = new Browser();
    const first = await browser.get(`${app.url}/account`);
    const login = await browser.get(first.location ?? '');
    const passed = await browser.postForm(`${app.url}/login`, { ...formFields(login.body), email: user.email, password: BREACHED });
    const next = new URL(passed.location ?? '');
    expect(next.pathname).toBe('/login/new-password');
    expect(next.searchParams.get('return_to')).toBe('/account');
    const page = await browser.get(next.toString());
    const done = await submit(browser, page, { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(done.status, done.body).toBe(303);
    expect(done.location).toBe(`${app.url}/account`);
    expect((await browser.get(`${app.url}/account`)).status).toBe(200);
  });

  it('asks nothing of a password that is not in the corpus', async () => {
    const user = await newPerson(app, 'not-breached');
    const browser = new Browser();
    const login = await open(browser, app, (await authorizationUrl(client)).url);
    const passed = await submitLogin(browser, login, user.email, PASSWORD);
    expect(passed.location?.startsWith(`${client.redirectUri}?`)).toBe(true);
    expect(await events(user.id)).not.toContain('signin.password_breached');
  });

  /** A person with a confirmed authenticator app whose current password is the breached one. */
  async function withAuthenticator(label: string): Promise<{ user: UserRecord; secret: string }> {
    const user = await newPerson(app, label);
    const person = await signedInPerson(app, user);
    expect((await person.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
    const setup = await person.browser.get(`${app.url}/account/two-factor`);
    const secret = (/data-testid="totp-secret">([^<]+)</.exec(setup.body)?.[1] ?? '').replace(/\s+/g, '');
    const confirmed = await person.browser.postForm(`${app.url}/account/two-factor/confirm`, { ...formFields(setup.body), code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(confirmed.status, confirmed.body).toBe(200);
    clock.advance(STEP_MS);
    const updated = await app.store.users.update(user.id, { passwordHash: await hashPassword(BREACHED) }, clock.now());
    return { user: updated ?? user, secret };
  }

  /** A session of `user` in another browser, opened before the breach was noticed (the store's view of it). */
  async function signedInElsewhere(user: UserRecord) {
    await app.store.users.update(user.id, { passwordHash: await hashPassword(PASSWORD) }, clock.now());
    const person = await signedInPerson(app, user);
    await app.store.users.update(user.id, { passwordHash: await hashPassword(BREACHED) }, clock.now());
    return person;
  }
});

describe('BREACHED_PASSWORDS_FILE that cannot be used', () => {
  it('stops the start (fails closed) rather than signing people in unchecked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-breach-bad-'));
    try {
      await expect(startApp({ env: { BREACHED_PASSWORDS_FILE: path.join(dir, 'missing.txt') } })).rejects.toThrow(/BREACHED_PASSWORDS_FILE cannot be opened/);
      writeFileSync(path.join(dir, 'plain.txt'), 'password\n123456\n');
      await expect(startApp({ env: { BREACHED_PASSWORDS_FILE: path.join(dir, 'plain.txt') } })).rejects.toThrow(/upper-case SHA-1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
