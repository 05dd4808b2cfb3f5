// A group may require a second factor of its members, everywhere (issue 21; src/auth/mfa-policy.ts
// groupRequiresMfa): on every application, whether or not it requires one itself, and on our own pages. A member
// with no second factor sets one up during the sign-in (the operator's rule, as REQUIRE_MFA); a member with only a
// passkey is told to use it; a session signed in with one factor does not answer for them by single sign-on. A
// person in no such group is not asked. Groups are set with the store's methods.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA } from '../../src/auth/mfa-policy.js';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { randomId } from '../../src/auth/secrets.js';
import { newTotpSecret, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import type { GroupRecord, UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signInToAccount } from './account-helpers.js';

const STEP_MS = 30_000;

describe('a group that requires a second factor of its members (issue 21), everywhere', () => {
  // On a TOTP step's boundary plus 5 s: a code computed now is still current when it is checked.
  const clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
  let app: RunningApp;
  let wiki: TestClient;
  let admins: GroupRecord;
  let readers: GroupRecord;

  beforeAll(async () => {
    app = await startApp({ clock });
    // Neither the server (REQUIRE_MFA) nor this application asks for two factors.
    wiki = await addClient(app, { name: 'Wiki' });
    admins = await app.store.groups.create({ id: randomId(), name: 'Admins', description: 'Two factors everywhere', requireMfa: true }, clock.now());
    readers = await app.store.groups.create({ id: randomId(), name: 'readers', description: '' }, clock.now());
  });
  afterAll(() => app?.stop());

  const submit = (browser: Browser, page: Page, fields: Record<string, string> = {}) => browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), ...fields });
  const secretOn = (page: Page) => (/data-testid="totp-secret">([^<]+)</.exec(page.body)?.[1] ?? '').replace(/\s+/g, '');
  const join = async (group: GroupRecord, user: UserRecord) => expect(await app.store.groups.addMember(group.id, user.id, clock.now())).toBe(true);

  async function idTokenOf(answer: Page, start: AuthorizationStart) {
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.origin + callback.pathname).toBe(wiki.redirectUri);
    const tokens = await redeemRaw(app, wiki, callback.searchParams.get('code') ?? '', start);
    return decodeJwt(tokens.id_token ?? '');
  }

  /** A confirmed authenticator for `user`, as the account page leaves it; returns its secret. */
  async function withAuthenticator(user: UserRecord): Promise<string> {
    const secret = newTotpSecret();
    const sealedSecret = (await openSecretBox(app.config)).seal(secret, totpSecretAad(user.id));
    expect(await app.store.totp.begin({ userId: user.id, sealedSecret, createdAt: clock.now() })).toBe(true);
    // Confirmed at a step long past, so the current step's code is still unused.
    expect(await app.store.totp.confirm(user.id, totpStep(clock.now()) - 10, clock.now())).toBe(true);
    return secret;
  }

  it('has a member with no second factor set one up before an application that does not require it gets a code; a person in no such group is not asked', async () => {
    const member = await newPerson(app, 'member');
    await join(admins, member);
    await join(readers, member);
    const browser = new Browser();
    const start = await authorizationUrl(wiki);
    const passed = await submitLogin(browser, await open(browser, app, start.url), member.email);
    expect(passed.status).toBe(303);
    expect(passed.location).toContain('/login/second-factor?');
    const setUp = await browser.get(passed.location ?? '');
    expect(setUp.body).toContain('Set up two-step verification');
    const codes = await submit(browser, setUp, { code: totpCodeAt(secretOn(setUp), totpStep(clock.now())) });
    expect(codes.status, codes.body).toBe(200);
    expect(codes.body.match(/<li><code>/g)).toHaveLength(10);
    const claims = await idTokenOf(await submit(browser, codes), start);
    expect([claims.sub, claims.amr, claims.acr]).toEqual([member.id, ['pwd', 'otp', 'mfa'], ACR_MFA]);
    expect((await app.store.totp.find(member.id))?.confirmedAt).not.toBeNull();

    // In a group that asks nothing (and in none): the password alone, as before.
    for (const label of ['reader', 'nobody']) {
      const person = await newPerson(app, label);
      if (label === 'reader') await join(readers, person);
      const other = new Browser();
      const otherStart = await authorizationUrl(wiki);
      const answer = await submitLogin(other, await open(other, app, otherStart.url), person.email);
      expect(answer.location ?? '').not.toContain('/login/second-factor');
      expect((await idTokenOf(answer, otherStart)).amr).toEqual(['pwd']);
    }
  });

  it('does not let a session signed in with one factor answer for a member by single sign-on: the member signs in again with the code', async () => {
    const person = await newPerson(app, 'stepup');
    const browser = new Browser();
    const first = await authorizationUrl(wiki);
    expect((await idTokenOf(await submitLogin(browser, await open(browser, app, first.url), person.email), first)).amr).toEqual(['pwd']);
    // Then an authenticator, and the group: the session's one factor no longer answers.
    const secret = await withAuthenticator(person);
    await join(admins, person);
    const silent = await open(browser, app, (await authorizationUrl(wiki, { prompt: 'none' })).url);
    expect(silent.status).toBe(303);
    expect(new URL(silent.location ?? '').searchParams.get('error')).toBe('login_required');
    const again = await authorizationUrl(wiki);
    const page = await open(browser, app, again.url);
    expect(page.status).toBe(200);
    expect(page.url).toContain('/login?');
    expect(page.body).toContain('name="password"');
    const passed = await submitLogin(browser, page, person.email);
    expect(passed.location).toContain('/login/second-factor?');
    const step = await browser.get(passed.location ?? '');
    expect(step.body).not.toContain('totp-secret');
    expect((await idTokenOf(await submit(browser, step, { code: totpCodeAt(secret, totpStep(clock.now())) }), again)).amr).toEqual(['pwd', 'otp', 'mfa']);
    // The two-factor session now answers by single sign-on.
    const sso = await authorizationUrl(wiki);
    expect((await idTokenOf(await open(browser, app, sso.url), sso)).amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('tells a member whose only other factor is a passkey to use it: the password is not enough, nothing is set up', async () => {
    const member = await newPerson(app, 'passkey');
    await join(admins, member);
    await app.store.passkeys.create({
      credentialId: `cred-${member.id}`,
      userId: member.id,
      name: 'Laptop',
      publicKey: 'AQID',
      counter: 0,
      transports: [],
      deviceType: 'multiDevice',
      backedUp: true,
      createdAt: clock.now(),
    });
    const browser = new Browser();
    const start = await authorizationUrl(wiki);
    const answer = await submitLogin(browser, await open(browser, app, start.url), member.email);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('data-testid="passkey-hint"');
    expect(browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
    expect(await app.store.totp.find(member.id)).toBeNull();
  });

  it('asks a member for a second factor on our own pages too (the account page)', async () => {
    const member = await newPerson(app, 'account');
    await join(admins, member);
    const answer = await signInToAccount(app, member.email);
    expect(answer.status).toBe(303);
    expect(answer.location).toContain('/login/second-factor?');
    expect(answer.location).toContain(`return_to=${encodeURIComponent('/account')}`);
    // Not a member: straight back to the account page.
    const plain = await newPerson(app, 'plainaccount');
    await join(readers, plain);
    expect((await signInToAccount(app, plain.email)).location).toBe(`${app.url}/account`);
  });
});
