// When two factors are required (REQUIRE_MFA, a client's "require multi-factor", acr_values asking for it),
// and how the ID token says what the sign-in had (`amr`, RFC 8176; `acr`, OIDC Core §2).
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PASSWORD } from '../../src/auth/mfa-policy.js';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signInToAccount } from './account-helpers.js';

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

  it('tells a person who has a passkey but no authenticator app, setting one up, that the passkey would do instead', async () => {
    const user = await newPerson(app, 'haspasskey');
    await app.store.passkeys.create({
      credentialId: `cred-${user.id}`, userId: user.id, name: 'Laptop', publicKey: 'AQID', counter: 0, transports: [], deviceType: 'multiDevice', backedUp: true, createdAt: clock.now(),
    });
    const browser = new Browser();
    const start = await authorizationUrl(strict);
    const passed = await submitLogin(browser, await open(browser, app, start.url), user.email);
    const setUp = await browser.get(passed.location ?? '');
    expect(setUp.body).toContain('data-testid="passkey-hint"');
  });

  it('honours acr_values asking for multi-factor on a client that does not require it', async () => {
    const user = await newPerson(app, 'acr');
    const browser = new Browser();
    const { start, answer } = await signInSettingUp(browser, plain, user, { acr_values: ACR_MFA });
    expect((await idTokenOf(plain, answer, start)).acr).toBe(ACR_MFA);
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
