// OpenID Connect Back-Channel Logout 1.0: when a sign-in session ends (logout, a new sign-in, an administrator
// disabling or deleting the person, the `idp` tool), every application that received tokens in it gets a
// signed logout token by a server-to-server POST, within a bounded time, and the session's tokens die.
import { createRemoteJWKSet, decodeJwt, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { BackchannelLogout } from '../../src/logout/backchannel.js';
import { deleteUser, setDisabled } from '../../src/manage/users.js';
import type { AuditEventRecord, SessionRecord, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { addClient, addUser, authorizationUrl, open, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { refresh } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('Back-Channel Logout 1.0', () => {
  let app: RunningApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let receivers: LogoutReceiver[] = [];
  let people = 0;

  /** A receiver that is closed after the test, whatever happens. */
  async function receiver(): Promise<LogoutReceiver> {
    return receivers[receivers.push(await LogoutReceiver.start()) - 1] as LogoutReceiver;
  }

  /** A client whose back-channel logout URI is `at` (none when null). */
  function client(name: string, at: LogoutReceiver | null): Promise<TestClient> {
    const slug = name.toLowerCase().replace(/\W+/g, '-');
    return addClient(app, { name, redirectUris: [`https://${slug}.example/cb`], ...(at ? { backchannelLogoutUri: at.url } : {}) });
  }

  /** A new person, so that each test's sessions are its own. */
  function person(): Promise<UserRecord> {
    people += 1;
    return addUser(app, `person${people}@example.com`, { name: `Person ${people}` });
  }

  /** Authorizes `via` in `browser` (through the form, or by single sign-on) and redeems the code. */
  async function signIn(browser: Browser, via: TestClient, email: string, extra: Record<string, string> = {}) {
    const start = await authorizationUrl(via, { scope: 'openid', ...extra });
    let page = await open(browser, app, start.url);
    if (page.status === 200) page = await submitLogin(browser, page, email);
    expect(page.status, page.body).toBe(303);
    const tokens = await redeemRaw(app, via, new URL(page.location ?? '').searchParams.get('code') ?? '', start);
    expect(tokens.id_token, JSON.stringify(tokens)).toEqual(expect.any(String));
    return { idToken: tokens.id_token ?? '', sid: String(decodeJwt(tokens.id_token ?? '').sid), accessToken: tokens.access_token ?? '', refreshToken: tokens.refresh_token ?? '' };
  }

  function logout(browser: Browser, idToken: string) {
    return browser.get(`${app.config.issuer}/logout?${new URLSearchParams({ id_token_hint: idToken }).toString()}`);
  }

  const verify = (token: string, audience: string) => verifyLogoutToken(token, jwks, app.config.issuer, audience);

  /** A live session of `userId` written straight to the store, as a sign-in would. */
  function sessionRecord(userId: string, sid = randomId()): SessionRecord {
    const now = Date.now();
    return { idHash: randomId(), sid, userId, amr: ['pwd'], authTime: now, createdAt: now, lastSeenAt: now, expiresAt: now + 60_000 };
  }

  /** The back-channel audit events about `sid`, waiting (bounded) until `count` of them are recorded. */
  async function backchannelEvents(sid: string, count: number, timeoutMs = 5_000): Promise<AuditEventRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = (await app.store.audit.list({ limit: 1000 })).filter((event) => event.type.startsWith('logout.backchannel_') && event.details.sid === sid);
      if (events.length >= count || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    app = await startApp();
    jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
  });
  afterEach(async () => {
    await Promise.all(receivers.map((open) => open.close()));
    receivers = [];
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('is advertised in discovery, with the sid claim', async () => {
    const metadata = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('sends each client that received tokens in the session one form POST with a logout token it can verify, when /logout has a valid id_token_hint', async () => {
    const user = await person();
    const [wikiAt, crmAt] = [await receiver(), await receiver()];
    const wiki = await client('Wiki', wikiAt);
    const crm = await client('CRM', crmAt);
    const browser = new Browser();
    const first = await signIn(browser, wiki, user.email);
    const second = await signIn(browser, crm, user.email);
    expect(second.sid).toBe(first.sid);

    const answer = await logout(browser, first.idToken);
    expect(answer.status, answer.body).toBe(200);
    const events = await backchannelEvents(first.sid, 2);

    const jtis: unknown[] = [];
    for (const [at, to] of [[wikiAt, wiki], [crmAt, crm]] as const) {
      expect(at.received).toHaveLength(1);
      const [request] = at.received;
      expect(request).toMatchObject({ method: 'POST', path: '/backchannel-logout', contentType: 'application/x-www-form-urlencoded' });
      const { payload } = await verify(request?.logoutToken ?? '', to.clientId);
      expect(payload).toMatchObject({ iss: app.config.issuer, aud: to.clientId, sub: user.id, sid: first.sid });
      expect(payload.exp).toBeGreaterThan(payload.iat ?? Infinity);
      expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(60);
      jtis.push(payload.jti);
    }
    expect(new Set(jtis).size).toBe(2);
    expect(events.map((event) => [event.type, event.details.client_id, event.details.attempts]).sort()).toEqual(
      [['logout.backchannel_delivered', wiki.clientId, 1], ['logout.backchannel_delivered', crm.clientId, 1]].sort(),
    );
  });

  it('sends nothing to a client that received no tokens in the session, nor to one without a back-channel URI', async () => {
    const user = await person();
    const [wikiAt, elsewhereAt, bystanderAt] = [await receiver(), await receiver(), await receiver()];
    const wiki = await client('Wiki', wikiAt);
    const elsewhere = await client('Elsewhere', elsewhereAt);
    await client('Bystander', bystanderAt);
    const silent = await client('No URI', null);
    const browser = new Browser();
    const signedIn = await signIn(browser, wiki, user.email);
    await signIn(browser, silent, user.email);
    // The same person in another browser: another session.
    await signIn(new Browser(), elsewhere, user.email);

    expect((await logout(browser, signedIn.idToken)).status).toBe(200);
    const events = await backchannelEvents(signedIn.sid, 1);
    expect(events.map((event) => event.details.client_id)).toEqual([wiki.clientId]);
    expect(wikiAt.received).toHaveLength(1);
    expect(elsewhereAt.received).toEqual([]);
    expect(bystanderAt.received).toEqual([]);
    const ended = (await app.store.audit.list({ limit: 1000 })).find((event) => event.type === 'session.ended' && event.details.sid === signedIn.sid);
    expect([...((ended?.details.clients ?? []) as string[])].sort()).toEqual([wiki.clientId, silent.clientId].sort());
  });

  describe('delivery (§2.5, §2.8)', () => {
    it('does not hold the logout longer than about 2 s for a receiver that never answers, and audits the failure after the retries', async () => {
      const user = await person();
      const dead = (await receiver()).answer([], 'never');
      const wiki = await client('Wiki', dead);
      const browser = new Browser();
      const signedIn = await signIn(browser, wiki, user.email);

      const started = performance.now();
      const answer = await logout(browser, signedIn.idToken);
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(answer.status).toBe(200);

      // Three attempts of 1.5 s, 1 s and 5 s apart: about 10.5 s after the logout.
      const [failed] = await backchannelEvents(signedIn.sid, 1, 15_000);
      expect(failed).toMatchObject({ type: 'logout.backchannel_failed', subject: user.id });
      expect(failed?.details).toMatchObject({ client_id: wiki.clientId, attempts: 3, reason: expect.stringMatching(/no answer/) });
      expect(dead.received).toHaveLength(3);
    }, 25_000);

    it('retries after an HTTP 500 and records the delivery with the number of attempts', async () => {
      const user = await person();
      const flaky = (await receiver()).answer([{ status: 500 }]);
      const wiki = await client('Wiki', flaky);
      const browser = new Browser();
      const signedIn = await signIn(browser, wiki, user.email);

      await logout(browser, signedIn.idToken);
      const [delivered] = await backchannelEvents(signedIn.sid, 1);
      expect(delivered).toMatchObject({ type: 'logout.backchannel_delivered', details: { client_id: wiki.clientId, sid: signedIn.sid, attempts: 2, status: 200 } });
      expect(flaky.tokens).toHaveLength(2);
      const payloads: JWTPayload[] = [];
      for (const token of flaky.tokens) payloads.push((await verify(token, wiki.clientId)).payload);
      expect(payloads[0]?.jti).not.toBe(payloads[1]?.jti);
    });

    it('does not follow a redirect, which would hand the token to an address the client did not register', async () => {
      const user = await person();
      const elsewhere = await receiver();
      const redirecting = (await receiver()).answer([], { status: 302, location: elsewhere.url });
      const wiki = await client('Wiki', redirecting);
      const browser = new Browser();
      const signedIn = await signIn(browser, wiki, user.email);

      await logout(browser, signedIn.idToken);
      const [failed] = await backchannelEvents(signedIn.sid, 1, 15_000);
      expect(failed).toMatchObject({ type: 'logout.backchannel_failed', details: { client_id: wiki.clientId, attempts: 3, reason: 'HTTP 302' } });
      expect(redirecting.received).toHaveLength(3);
      expect(elsewhere.received).toEqual([]);
    }, 25_000);

    it('records deliveries abandoned at shutdown as failed before close() resolves, so the store can close after it', async () => {
      const user = await person();
      const [retrying, hanging] = [(await receiver()).answer([{ status: 500 }], 'never'), (await receiver()).answer([], 'never')];
      const clients = await Promise.all([client('Retrying', retrying), client('Hanging', hanging)]);
      const records = await Promise.all(clients.map((c) => app.store.clients.findById(c.clientId)));
      const backchannel = new BackchannelLogout({ store: app.store, clock: app.clock, issuer: app.config.issuer, signingKey: () => app.keyRing.signingKey });
      const session = sessionRecord(user.id);
      void backchannel.notify(session, records.flatMap((record) => (record ? [record] : [])));
      await Promise.all([retrying.waitFor(1), hanging.waitFor(1)]);

      const started = performance.now();
      await backchannel.close();
      expect(performance.now() - started).toBeLessThan(1_000);
      const events = await backchannelEvents(session.sid, 0, 0);
      expect(events.map((event) => [event.type, event.details.client_id, event.details.attempts, event.details.reason]).sort()).toEqual([
        ['logout.backchannel_failed', clients[0]?.clientId, 1, 'HTTP 500; retries abandoned at shutdown'],
        ['logout.backchannel_failed', clients[1]?.clientId, 1, 'interrupted by shutdown'],
      ].sort());
    });
  });

  describe('sessions ended by other causes', () => {
    const manage = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', sessionEnd: app.sessionEnd });

    /** Two browsers of `user` signed in to `via`: two sessions. */
    async function twoSessions(user: UserRecord, via: TestClient): Promise<string[]> {
      return [(await signIn(new Browser(), via, user.email)).sid, (await signIn(new Browser(), via, user.email)).sid];
    }

    async function sidsReceived(at: LogoutReceiver, count: number, audience: string, sub: string): Promise<string[]> {
      await at.waitFor(count);
      const sids: string[] = [];
      for (const token of at.tokens) {
        const { payload } = await verify(token, audience);
        expect(payload.sub).toBe(sub);
        sids.push(String(payload.sid));
      }
      return sids.sort();
    }

    it('sends a logout token for each session of a user who is disabled', async () => {
      const user = await person();
      const at = await receiver();
      const wiki = await client('Wiki', at);
      const sids = await twoSessions(user, wiki);
      await setDisabled(manage(), user.email, true);
      expect(await sidsReceived(at, 2, wiki.clientId, user.id)).toEqual(sids.sort());
    });

    it('sends a logout token for each session of a user who is deleted', async () => {
      const user = await person();
      const at = await receiver();
      const wiki = await client('Wiki', at);
      const sids = await twoSessions(user, wiki);
      await deleteUser(manage(), user.email);
      expect(await sidsReceived(at, 2, wiki.clientId, user.id)).toEqual(sids.sort());
    });

    it('sends a logout token for each session from `idp user disable`, and finishes its retries before exiting', async () => {
      const user = await person();
      const at = (await receiver()).answer([{ status: 500 }]);
      const wiki = await client('Wiki', at);
      const sids = await twoSessions(user, wiki);
      const env = idpEnv(app);
      const result = await runIdp(['user', 'disable', user.email], env);
      expect(result.code, result.stderr).toBe(0);
      // One session's first POST got the 500 and was retried: three POSTs, every session told.
      expect(at.received).toHaveLength(3);
      expect([...new Set(await sidsReceived(at, 3, wiki.clientId, user.id))]).toEqual(sids.sort());
      const events = [...(await backchannelEvents(sids[0] ?? '', 1)), ...(await backchannelEvents(sids[1] ?? '', 1))];
      expect(events.map((event) => [event.type, event.actor]).sort()).toEqual([['logout.backchannel_delivered', 'system'], ['logout.backchannel_delivered', 'system']]);
      expect(events.map((event) => event.details.attempts).sort()).toEqual([1, 2]);
    });

    it('ends a dozen sessions of a user at once without Node warning of an abort-listener leak', async () => {
      const user = await person();
      const at = await receiver();
      const wiki = await client('Wiki', at);
      const sids = Array.from({ length: 12 }, () => randomId());
      for (const sid of sids) {
        await app.store.sessions.create(sessionRecord(user.id, sid));
        await app.store.sessions.addClient(sid, wiki.clientId, Date.now());
      }
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        await setDisabled(manage(), user.email, true);
        expect(await sidsReceived(at, 12, wiki.clientId, user.id)).toEqual(sids.sort());
        // Warnings are emitted on the next tick.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.map((warning) => warning.message)).toEqual([]);
    });

    it('sends the old session\'s clients a logout token for the old sid when another person signs in in the same browser', async () => {
      const [ada, grace] = [await person(), await person()];
      const at = await receiver();
      const wiki = await client('Wiki', at);
      const browser = new Browser();
      const first = await signIn(browser, wiki, ada.email);
      const second = await signIn(browser, wiki, grace.email, { prompt: 'login' });
      expect(second.sid).not.toBe(first.sid);
      await at.waitFor(1);
      const { payload } = await verify(at.tokens[0] ?? '', wiki.clientId);
      expect(payload).toMatchObject({ sub: ada.id, sid: first.sid });
      expect(await backchannelEvents(first.sid, 1)).toEqual([expect.objectContaining({ type: 'logout.backchannel_delivered' })]);
      expect(await backchannelEvents(second.sid, 0)).toEqual([]);
    });
  });

  it('leaves the session\'s tokens dead after the logout: the access token at userinfo, the session-bound refresh token', async () => {
    const user = await person();
    const at = await receiver();
    const wiki = await client('Wiki', at);
    const browser = new Browser();
    const signedIn = await signIn(browser, wiki, user.email);
    expect(signedIn.refreshToken).not.toBe('');

    await logout(browser, signedIn.idToken);
    expect(at.received).toHaveLength(1);
    const userinfo = await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${signedIn.accessToken}` } });
    expect(userinfo.status).toBe(401);
    const refused = await refresh(app, wiki, signedIn.refreshToken);
    expect({ status: refused.status, error: refused.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });
});
