// When two factors are required (REQUIRE_MFA, a client's "require multi-factor", acr_values asking for it),
// and how the ID token says what the sign-in had (`amr`, RFC 8176; `acr`, OIDC Core §2). Only the operator's
// rules set a second factor up during a sign-in; a request (acr_values) never does (issue 19, F4).
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PASSWORD } from '../../src/auth/mfa-policy.js';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { newTotpSecret, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, PASSWORD, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signedInPerson, signInToAccount } from './account-helpers.js';

const STEP_MS = 30_000;

describe('multi-factor policy (issue 10): who must pass a second factor, and what the ID token says', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let plain: TestClient;
  let strict: TestClient;

  beforeAll(async () => {
    clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
    app = await startApp({ clock });
    plain = await addClient(app, { name: 'Wiki' });
    strict = await addClient(app, { name: 'Payroll', requireMfa: true });
  });

  afterAll(async () => {
    await app?.stop();
  });

  const submit = (browser: Browser, page: Page, fields: Record<string, string> = {}) => browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), ...fields });
  const secretOn = (page: Page) => (/data-testid="totp-secret">([^<]+)</.exec(page.body)?.[1] ?? '').replace(/\s+/g, '');

  async function idTokenOf(client: TestClient, answer: Page, start: AuthorizationStart) {
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.href.startsWith(client.redirectUri), callback.href).toBe(true);
    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    return decodeJwt(tokens.id_token ?? '');
  }

  /** Password, then the set-up step: scan, confirm, see the recovery codes, continue. */
  async function signInSettingUp(browser: Browser, client: TestClient, user: UserRecord, extra: Record<string, string> = {}) {
    const start = await authorizationUrl(client, extra);
    const passed = await submitLogin(browser, await open(browser, app, start.url), user.email);
    expect(passed.location).toContain('/login/second-factor?');
    const setUp = await browser.get(passed.location ?? '');
    expect(setUp.body).toContain('Set up two-step verification');
    const wrong = await submit(browser, setUp, { code: '000000' === totpCodeAt(secretOn(setUp), totpStep(clock.now())) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    const codes = await submit(browser, setUp, { code: totpCodeAt(secretOn(setUp), totpStep(clock.now())) });
    expect(codes.status, codes.body).toBe(200);
    expect(codes.body.match(/<li><code>/g)).toHaveLength(10);
    return { start, answer: await submit(browser, codes), secret: secretOn(setUp) };
  }

  it('advertises its acr values and the acr claim in discovery', async () => {
    const metadata = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(metadata.acr_values_supported).toEqual([ACR_PASSWORD, ACR_MFA]);
    expect(metadata.claims_supported).toContain('acr');
  });

  it('signs a person in with the password alone where nothing asks for more: amr pwd, the password acr', async () => {
    const user = await newPerson(app, 'plain');
    const browser = new Browser();
    const start = await authorizationUrl(plain);
    const claims = await idTokenOf(plain, await submitLogin(browser, await open(browser, app, start.url), user.email), start);
    expect([claims.amr, claims.acr]).toEqual([['pwd'], ACR_PASSWORD]);
  });

  it('leads a person without a second factor to set one up before a client that requires multi-factor gets a code', async () => {
    const user = await newPerson(app, 'strict');
    const browser = new Browser();
    const { start, answer } = await signInSettingUp(browser, strict, user);
    const claims = await idTokenOf(strict, answer, start);
    expect([claims.amr, claims.acr]).toEqual([['pwd', 'otp', 'mfa'], ACR_MFA]);
    expect((await app.store.totp.find(user.id))?.confirmedAt).not.toBeNull();
  });

  /** A confirmed authenticator for `user`, stored as the account page would leave it; returns its secret. */
  async function withAuthenticator(user: UserRecord): Promise<string> {
    const secret = newTotpSecret();
    const sealedSecret = (await openSecretBox(app.config)).seal(secret, totpSecretAad(user.id));
    expect(await app.store.totp.begin({ userId: user.id, sealedSecret, createdAt: clock.now() })).toBe(true);
    // Confirmed at a step long past, so the current step's code is still unused.
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

  it('answers acr_values asking for two factors, of a person who has none, with unmet_authentication_requirements: no set-up, nothing written, no session', async () => {
    const user = await newPerson(app, 'unmet');
    const browser = new Browser();
    const start = await authorizationUrl(plain, { acr_values: ACR_MFA });
    const login = await open(browser, app, start.url);
    const answer = await submitLogin(browser, login, user.email);
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.href.startsWith(plain.redirectUri), callback.href).toBe(true);
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('state')).toBe(start.state);
    expect(callback.searchParams.get('iss')).toBe(app.config.issuer);
    expect(callback.searchParams.get('code')).toBeNull();
    expect(answer.body).not.toContain('totp-secret');
    // Nothing bound, nothing pending, no recovery codes, no session: the password alone changed nothing.
    expect(await app.store.totp.find(user.id)).toBeNull();
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    expect(browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
    const events = await app.store.audit.list({ limit: 5, filter: { subject: user.id } });
    expect(events[0]).toMatchObject({ type: 'signin.failed', outcome: 'failure', details: { reason: 'second_factor_missing' } });
    // The pending request was used up: the error was the answer to it, and the same form gets no other.
    const replay = await submitLogin(browser, login, user.email);
    expect(replay.status).toBe(400);
    expect(replay.location).toBeNull();
  });

  it('never shows, through acr_values, the set-up its owner left unfinished on the account page, and leaves it as it was', async () => {
    const user = await newPerson(app, 'pendingacr');
    const owner = await signedInPerson(app, user);
    expect((await owner.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
    const pending = await app.store.totp.find(user.id);
    const ownerSecret = secretOn(await owner.browser.get(`${app.url}/account/two-factor`));
    expect(ownerSecret).toMatch(/^[A-Z2-7]{32}$/);

    const stranger = new Browser();
    const start = await authorizationUrl(plain, { acr_values: ACR_MFA });
    const answer = await submitLogin(stranger, await open(stranger, app, start.url), user.email);
    expect(new URL(answer.location ?? '').searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(answer.body).not.toContain(ownerSecret.slice(0, 4));
    expect(await app.store.totp.find(user.id)).toEqual(pending);
  });

  it('honours acr_values asking for multi-factor of a person who has an authenticator: the code step, then the mfa acr', async () => {
    const user = await newPerson(app, 'acr');
    const secret = await withAuthenticator(user);
    const browser = new Browser();
    const start = await authorizationUrl(plain, { acr_values: ACR_MFA });
    const passed = await submitLogin(browser, await open(browser, app, start.url), user.email);
    expect(passed.location).toContain('/login/second-factor?');
    const step = await browser.get(passed.location ?? '');
    expect(step.body).not.toContain('totp-secret');
    const answer = await submit(browser, step, { code: totpCodeAt(secret, totpStep(clock.now())) });
    const claims = await idTokenOf(plain, answer, start);
    expect([claims.amr, claims.acr]).toEqual([['pwd', 'otp', 'mfa'], ACR_MFA]);
  });

  it('never sets an authenticator up on a password for a person who has a passkey: the passkey is asked for, nothing is written', async () => {
    const user = await newPerson(app, 'haspasskey');
    await withPasskey(user);
    for (const [client, extra] of [
      [strict, {}],
      [plain, { acr_values: ACR_MFA }],
    ] as const) {
      const browser = new Browser();
      const start = await authorizationUrl(client, extra);
      const answer = await submitLogin(browser, await open(browser, app, start.url), user.email);
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('data-testid="passkey-hint"');
      expect(answer.body).not.toContain('totp-secret');
      // The way back is the same pending request's sign-in page, where "Use a passkey" is offered.
      const back = /href="([^"]*\/login\?request=[^"]+)"/.exec(answer.body)?.[1] ?? '';
      expect((await browser.get(new URL(back.replace(/&amp;/g, '&'), app.url).toString())).status).toBe(200);
      expect(browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
    }
    expect(await app.store.totp.find(user.id)).toBeNull();
  });

  it('sets up, where the client requires it, a secret of the sign-in’s own, never the one pending on the account page, and mails the owner', async () => {
    const user = await newPerson(app, 'pendingpolicy');
    const owner = await signedInPerson(app, user);
    expect((await owner.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
    const pending = await app.store.totp.find(user.id);
    const ownerSecret = secretOn(await owner.browser.get(`${app.url}/account/two-factor`));

    const browser = new Browser();
    const start = await authorizationUrl(strict);
    const passed = await submitLogin(browser, await open(browser, app, start.url), user.email);
    const setUp = await browser.get(passed.location ?? '');
    expect(setUp.body).toContain('Set up two-step verification');
    const shown = secretOn(setUp);
    expect(shown).toMatch(/^[A-Z2-7]{32}$/);
    expect(shown).not.toBe(ownerSecret);
    // Showing it wrote nothing: the owner's set-up is still there, as it was.
    expect(await app.store.totp.find(user.id)).toEqual(pending);
    // The owner's pending secret does not confirm this sign-in's set-up.
    const withOwners = await submit(browser, setUp, { code: totpCodeAt(ownerSecret, totpStep(clock.now())) });
    expect(withOwners.status).toBe(400);
    expect(await app.store.totp.find(user.id)).toEqual(pending);
    // A reload shows the same secret: it belongs to this sign-in.
    expect(secretOn(await browser.get(passed.location ?? ''))).toBe(shown);

    const codes = await submit(browser, setUp, { code: totpCodeAt(shown, totpStep(clock.now())) });
    expect(codes.status, codes.body).toBe(200);
    const bound = await app.store.totp.find(user.id);
    expect(bound?.confirmedAt).not.toBeNull();
    expect((await openSecretBox(app.config)).open(bound?.sealedSecret ?? '', totpSecretAad(user.id))).toBe(shown);
    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /^How you sign in at .+ changed$/ });
    expect(mail.text).toContain('Two-step verification was turned on');
    expect((await idTokenOf(strict, await submit(browser, codes), start)).acr).toBe(ACR_MFA);
  });

  it('does not let a password-only session sign in to a multi-factor client silently: the person steps up, prompt=none gets login_required', async () => {
    const user = await newPerson(app, 'stepup');
    const browser = new Browser();
    const first = await authorizationUrl(plain);
    await idTokenOf(plain, await submitLogin(browser, await open(browser, app, first.url), user.email), first);

    const silent = await authorizationUrl(strict, { prompt: 'none' });
    const refused = new URL((await open(browser, app, silent.url)).location ?? '');
    expect(refused.searchParams.get('error')).toBe('login_required');

    const start = await authorizationUrl(strict);
    const page = await open(browser, app, start.url);
    expect(page.status).toBe(200);
    expect(page.url).toContain('/login?');
  });

  it('requires a second factor for every sign-in, our own pages included, when REQUIRE_MFA is true', async () => {
    const strictApp = await startApp({ env: { REQUIRE_MFA: 'true' } });
    try {
      const user = await newPerson(strictApp, 'everyone');
      const answer = await signInToAccount(strictApp, user.email);
      expect(answer.status).toBe(303);
      expect(answer.location).toContain('/login/second-factor?');
      expect(answer.location).toContain(`return_to=${encodeURIComponent('/account')}`);
    } finally {
      await strictApp.stop();
    }
  });

  it('refuses REQUIRE_MFA values other than true and false', async () => {
    await expect(startApp({ env: { REQUIRE_MFA: 'yes' } })).rejects.toThrow(/REQUIRE_MFA/);
  });
});
