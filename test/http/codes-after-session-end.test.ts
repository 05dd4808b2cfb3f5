// An authorization code is worth no more than the session it was minted in (issue 19, F5). The attack that was
// reproduced: someone in a hijacked session mints a code; the victim changes the password (or signs that session
// out); the hijacker redeems the code afterwards and receives a 30-day offline grant. A new password now revokes the
// account's codes, ending a session revokes its codes, redemption refuses a code whose session is gone, and a
// session that ends while the tokens are being issued takes them with it. A sign-in half-way through (password
// passed, second factor owed) goes too when the password changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { setPassword } from '../../src/manage/users.js';
import { authorizationCodeGrant } from '../../src/oidc/grants/authorization-code.js';
import type { ClientRecord, SessionRecord, UserRecord } from '../../src/store/records.js';
import type { IssuedTokens, Store } from '../../src/store/store.js';
import { signedInAdmin } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { addClient, authorizationUrl, open, PASSWORD, signIn, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic, refresh, tokenRequest, type TokenAnswer } from '../helpers/refresh.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signedInPerson } from './account-helpers.js';

const NEW_PASSWORD = 'a brand new passphrase, long enough';

interface MintedCode {
  browser: Browser;
  code: string;
  start: AuthorizationStart;
  session: SessionRecord;
}

describe('codes do not outlive their session or the password (issue 19, F5)', () => {
  let app: RunningApp;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp();
    client = await addClient(app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  const origin = () => new URL(app.url).origin;

  /** A sign-in as `victim` in a browser of its own (the hijacker's) that stops at the code, unredeemed. */
  async function hijackersCode(victim: UserRecord): Promise<MintedCode> {
    const browser = new Browser();
    const start = await authorizationUrl(client, { scope: 'openid offline_access' });
    const callback = await signIn(browser, app, start, victim.email);
    const code = callback.searchParams.get('code') ?? '';
    expect(code).not.toBe('');
    const session = await app.store.sessions.findLive(hashSecret(browser.cookie(origin(), 'gatehouse_session') ?? ''), app.clock.now());
    expect(session?.userId).toBe(victim.id);
    return { browser, code, start, session: session! };
  }

  const redeem = (minted: MintedCode): Promise<TokenAnswer> =>
    tokenRequest(app, new URLSearchParams({ grant_type: 'authorization_code', code: minted.code, redirect_uri: client.redirectUri, code_verifier: minted.start.codeVerifier }).toString(), {
      Authorization: basic(client.clientId, client.clientSecret ?? ''),
    });

  /** Refresh and access tokens of the user that still work. */
  const liveTokens = async (userId: string) => ({
    refresh: await countRows(app, 'SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL AND rotated_at IS NULL', [userId]),
    access: await countRows(app, 'SELECT count(*) AS n FROM access_tokens WHERE user_id = ? AND revoked_at IS NULL', [userId]),
  });

  function expectInvalidGrant(answer: TokenAnswer): void {
    expect({ status: answer.status, error: answer.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(answer.json.access_token).toBeUndefined();
  }

  it("refuses the hijacker's code after the victim changes the password on the account page, and issues nothing", async () => {
    const victim = await newPerson(app, 'victim');
    const person = await signedInPerson(app, victim);
    const minted = await hijackersCode(victim);

    const changed = await person.post('/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(changed.status, changed.body).toBe(303);

    expectInvalidGrant(await redeem(minted));
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it("refuses a code after an administrator sets a new password (the admin screens' and `idp user set-password`'s way)", async () => {
    const victim = await newPerson(app, 'admin-set');
    const minted = await hijackersCode(victim);
    await setPassword({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', sessionEnd: app.sessionEnd }, victim.id, NEW_PASSWORD);
    expectInvalidGrant(await redeem(minted));
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it("refuses the hijacker's code after the victim signs that session out on the account page", async () => {
    const victim = await newPerson(app, 'sign-out');
    const person = await signedInPerson(app, victim);
    const minted = await hijackersCode(victim);

    const ended = await person.post('/account/sessions/sign-out', { sid: minted.session.sid });
    expect(ended.status, ended.body).toBe(303);

    expectInvalidGrant(await redeem(minted));
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it('refuses a code after an administrator ends its session', async () => {
    const victim = await newPerson(app, 'admin-revoke');
    const minted = await hijackersCode(victim);
    const admin = await signedInAdmin(app);

    const ended = await admin.post(`/admin/users/${victim.id}/sessions/${minted.session.sid}/revoke`, {});
    expect(ended.status, ended.body).toBe(303);

    expectInvalidGrant(await redeem(minted));
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it('refuses a code whose session is gone even when nothing revoked the code, and spends it', async () => {
    const victim = await newPerson(app, 'gone');
    const minted = await hijackersCode(victim);
    // The session row goes without the session-end path (an expiry sweep, or a row removed by hand).
    expect(await app.store.sessions.delete(minted.session.idHash)).toBe(true);

    const refused = await redeem(minted);
    expectInvalidGrant(refused);
    expect(refused.json.error_description).toMatch(/session/);
    expect((await app.store.codes.find(hashSecret(minted.code)))?.consumedAt).not.toBeNull();
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it("leaves no working token when the session ends while the code's tokens are being issued", async () => {
    const victim = await newPerson(app, 'race');
    const minted = await hijackersCode(victim);
    // The logout lands at the one instant a check before issuing cannot see: once the code is spent and the tokens
    // recorded (one write, issue 27), before the answer leaves.
    const issuance = {
      async record(issued: IssuedTokens): Promise<boolean> {
        const recorded = await app.store.issuance.record(issued);
        await app.sessionEnd.end(minted.session, { reason: 'logout', actor: victim.id, keepOffline: true });
        return recorded;
      },
    };
    const store = Object.assign(Object.create(app.store) as Store, { issuance });
    const registered = (await app.store.clients.findById(client.clientId)) as ClientRecord;

    const response = await authorizationCodeGrant(
      { store, clock: app.clock, config: app.config, keyRing: app.keyRing, secretBox: () => openSecretBox(app.config), claimCatalog: app.claimCatalog },
      registered,
      {
        code: minted.code,
        redirect_uri: client.redirectUri,
        code_verifier: minted.start.codeVerifier,
      },
    );

    // The answer went out, but nothing in it works: not even the offline grant a logout would otherwise keep.
    expect(response.refresh_token).toEqual(expect.any(String));
    expect((await fetch(`${app.url}/userinfo`, { headers: { Authorization: `Bearer ${response.access_token}` } })).status).toBe(401);
    expectInvalidGrant(await refresh(app, client, response.refresh_token ?? ''));
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it('refuses, as a session that ended and not as a replay, a code whose session ends after its checks and before it is spent', async () => {
    const victim = await newPerson(app, 'race-before');
    const minted = await hijackersCode(victim);
    // Ending the session spends its codes: the redemption's own spend, made with the tokens' records, then loses.
    const issuance = {
      async record(issued: IssuedTokens): Promise<boolean> {
        await app.sessionEnd.end(minted.session, { reason: 'logout', actor: victim.id, keepOffline: true });
        return app.store.issuance.record(issued);
      },
    };
    const store = Object.assign(Object.create(app.store) as Store, { issuance });
    const registered = (await app.store.clients.findById(client.clientId)) as ClientRecord;
    const redemption = authorizationCodeGrant(
      { store, clock: app.clock, config: app.config, keyRing: app.keyRing, secretBox: () => openSecretBox(app.config), claimCatalog: app.claimCatalog },
      registered,
      { code: minted.code, redirect_uri: client.redirectUri, code_verifier: minted.start.codeVerifier },
    );
    await expect(redemption).rejects.toThrow(/sign-in session of this code has ended/);
    expect((await app.store.codes.find(hashSecret(minted.code)))?.replayedAt).toBeNull();
    expect(await liveTokens(victim.id)).toEqual({ refresh: 0, access: 0 });
  });

  it('still redeems a code whose session lives', async () => {
    const victim = await newPerson(app, 'control');
    const minted = await hijackersCode(victim);
    const answer = await redeem(minted);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(await liveTokens(victim.id)).toEqual({ refresh: 1, access: 1 });
  });

  describe('a sign-in waiting for its second factor', () => {
    /** Gives `victim` a confirmed authenticator (its secret is never needed: nobody gets as far as a code). */
    async function addAuthenticator(victim: UserRecord): Promise<void> {
      const now = app.clock.now();
      expect(await app.store.totp.begin({ userId: victim.id, sealedSecret: 'v1.never-unsealed', createdAt: now })).toBe(true);
      expect(await app.store.totp.confirm(victim.id, 1, now)).toBe(true);
    }

    /** Someone with the password passes the first step in a browser of their own; returns the second step's URL and challenge. */
    async function passPassword(victim: UserRecord): Promise<{ browser: Browser; step: string; challengeHash: string }> {
      const browser = new Browser();
      const login = await open(browser, app, (await authorizationUrl(client)).url);
      const answer = await submitLogin(browser, login, victim.email);
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toContain('/login/second-factor?challenge=');
      const challengeHash = hashSecret(new URL(answer.location ?? '').searchParams.get('challenge') ?? '');
      expect(await app.store.signInChallenges.findLive(challengeHash, 'second_factor', app.clock.now())).not.toBeNull();
      return { browser, step: answer.location ?? '', challengeHash };
    }

    async function expectDropped(halfway: { browser: Browser; step: string; challengeHash: string }): Promise<void> {
      expect(await app.store.signInChallenges.findLive(halfway.challengeHash, 'second_factor', app.clock.now())).toBeNull();
      const page = await halfway.browser.get(halfway.step);
      expect(page.status).toBe(400);
      expect(page.body).toContain('expired');
    }

    it('is dropped when the owner changes the password on the account page', async () => {
      const victim = await newPerson(app, 'halfway');
      // Signed in before the authenticator was added: the account page asks only for the password.
      const person = await signedInPerson(app, victim);
      await addAuthenticator(victim);
      const halfway = await passPassword(victim);

      const changed = await person.post('/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
      expect(changed.status, changed.body).toBe(303);

      await expectDropped(halfway);
    });

    it('is dropped when an administrator sets a new password', async () => {
      const victim = await newPerson(app, 'halfway-admin');
      await addAuthenticator(victim);
      const halfway = await passPassword(victim);
      await setPassword({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', sessionEnd: app.sessionEnd }, victim.id, NEW_PASSWORD);
      await expectDropped(halfway);
    });
  });
});
