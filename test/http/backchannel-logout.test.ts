// OpenID Connect Back-Channel Logout 1.0: when a sign-in session ends (logout, a new sign-in, an administrator
// disabling or deleting the person, the `idp` tool), every application that received tokens in it gets a
// signed logout token by a server-to-server POST, within a bounded time, and the session's tokens die.
import { createRemoteJWKSet, decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import type { BackchannelLogout, Resolver } from '../../src/logout/backchannel.js';
import { createClient } from '../../src/manage/clients.js';
import { deleteUser, setDisabled } from '../../src/manage/users.js';
import type { AuditEventRecord, ClientRecord, SessionRecord, UserRecord } from '../../src/store/records.js';
import { ownBackchannel, type OwnBackchannel, type OwnBackchannelOptions } from '../helpers/backchannel.js';
import { Browser } from '../helpers/browser.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { addClient, addUser, authorizationUrl, open, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { refresh } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('Back-Channel Logout 1.0', () => {
  let app: RunningApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let receivers: LogoutReceiver[] = [];
  /** Deliverers a test made for itself (another node's queue), closed after it. */
  let deliveries: OwnBackchannel[] = [];
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
    await Promise.all(deliveries.map((made) => made.close()));
    deliveries = [];
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

    const loggingOut = Math.floor(Date.now() / 1000);
    const answer = await logout(browser, first.idToken);
    expect(answer.status, answer.body).toBe(200);
    const events = await backchannelEvents(first.sid, 2);
    const loggedOut = Math.ceil(Date.now() / 1000);

    const jtis: unknown[] = [];
    for (const [at, to] of [
      [wikiAt, wiki],
      [crmAt, crm],
    ] as const) {
      expect(at.received).toHaveLength(1);
      const [request] = at.received;
      expect(request).toMatchObject({ method: 'POST', path: '/backchannel-logout', contentType: 'application/x-www-form-urlencoded' });
      const { payload } = await verify(request?.logoutToken ?? '', to.clientId);
      expect(payload).toMatchObject({ iss: app.config.issuer, aud: to.clientId, sub: user.id, sid: first.sid });
      expect(payload.exp).toBeGreaterThan(payload.iat ?? Infinity);
      // Issued by this logout: after it began, before its deliveries were recorded.
      expect(payload.iat).toBeGreaterThanOrEqual(loggingOut);
      expect(payload.iat).toBeLessThanOrEqual(loggedOut);
      jtis.push(payload.jti);
    }
    expect(new Set(jtis).size).toBe(2);
    expect(events.map((event) => [event.type, event.details.client_id, event.details.attempts]).sort()).toEqual(
      [
        ['logout.backchannel_delivered', wiki.clientId, 1],
        ['logout.backchannel_delivered', crm.clientId, 1],
      ].sort(),
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
    /** Deliverers a test made for itself (another node's queue), closed after it. */
    function own(options: OwnBackchannelOptions = {}): OwnBackchannel {
      const made = ownBackchannel(app, options);
      deliveries.push(made);
      return made;
    }

    /** A registered client whose back-channel logout URI is `uri`, as its stored record. */
    async function clientRecord(name: string, uri: string): Promise<ClientRecord> {
      const registered = await addClient(app, { name, redirectUris: [`https://${name.toLowerCase()}.example/cb`], backchannelLogoutUri: uri });
      return (await app.store.clients.findById(registered.clientId)) ?? expect.fail('the client was not stored');
    }

    /** Whether `promise` has settled once every pending callback and I/O event has run. */
    async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
      let settled = false;
      void promise.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((resolve) => setImmediate(resolve));
      return settled;
    }

    it('answers the logout while a receiver that never answers still holds its POST', async () => {
      const user = await person();
      const dead = (await receiver()).answer([], 'never');
      const wiki = await client('Wiki', dead);
      const browser = new Browser();
      const signedIn = await signIn(browser, wiki, user.email);

      // If the logout waited for this receiver, this would never answer (the test would time out).
      const answer = await logout(browser, signedIn.idToken);
      expect(answer.status).toBe(200);
      await dead.waitFor(1);
    });

    it('lets a logout wait for its first attempts at most firstRoundWaitMs, then goes on without them', async () => {
      const user = await person();
      const dead = (await receiver()).answer([], 'never');
      const timers = new ManualTimers();
      const { backchannel, queue } = own({ timers, options: { firstRoundWaitMs: 2_000 } });
      const silent = await clientRecord('Silent', dead.url);
      const notified = backchannel.notify(sessionRecord(user.id), [silent]);
      await dead.waitFor(1);

      timers.advance(1_999);
      expect(await hasSettled(notified)).toBe(false);
      timers.advance(1);
      expect(await hasSettled(notified)).toBe(true);
      // The delivery itself goes on: its first attempt, leased to this node, still waits for an answer.
      const { items } = await app.store.deliveries.listForClient(silent.clientId, { after: null, limit: 10 });
      expect(items).toMatchObject([{ state: 'pending', attempts: 0, leaseOwner: queue.owner }]);
      expect(dead.received).toHaveLength(1);
    });

    it('audits only a coarse reason (an attempt timed out, a redirect not followed, no connection), never an error text, an address or a port', async () => {
      const user = await person();
      const [hanging, elsewhere, closed] = [(await receiver()).answer([], 'never'), await receiver(), await receiver()];
      const redirecting = (await receiver()).answer([], { status: 302, location: elsewhere.url });
      // One attempt each (DELIVERY_MAX_ATTEMPTS=1), so that each failure is final and audited at once.
      const { backchannel } = own({ sender: { timeoutMs: 200 }, delivery: { maxAttempts: 1 } });
      const records = [await clientRecord('Hanging', hanging.url), await clientRecord('Redirecting', redirecting.url), await clientRecord('Unreachable', closed.url)];
      await closed.close();
      const session = sessionRecord(user.id);
      await backchannel.notify(session, records);
      await backchannel.drain();

      const events = await backchannelEvents(session.sid, 3);
      const details = (clientId: string) => events.find((event) => event.clientId === clientId)?.details;
      const base = (record: ClientRecord) => ({ client_id: record.clientId, sid: session.sid, attempts: 1, delivery_id: expect.stringMatching(/^msg_/) });
      expect(events.map((event) => event.type)).toEqual(['logout.backchannel_failed', 'logout.backchannel_failed', 'logout.backchannel_failed']);
      expect(details(records[0]?.clientId ?? '')).toEqual({ ...base(records[0] as ClientRecord), reason: 'timeout' });
      expect(details(records[1]?.clientId ?? '')).toEqual({ ...base(records[1] as ClientRecord), reason: 'http_status', status: 302 });
      expect(details(records[2]?.clientId ?? '')).toEqual({ ...base(records[2] as ClientRecord), reason: 'connection_failed' });
      expect(redirecting.received).toHaveLength(1);
      expect(elsewhere.received).toEqual([]);
    });

    it('sends nothing for a client that no longer has a back-channel URI when its turn comes: the delivery is dead, as gone', async () => {
      const user = await person();
      const at = await receiver();
      const record = await clientRecord('Gone', at.url);
      const { backchannel, queue } = own();
      const session = sessionRecord(user.id);
      // Queued for the queue's next run, as expired sessions' logouts are.
      await backchannel.notify(session, [record], 'queued');
      await app.store.clients.update(record.clientId, { backchannelLogoutUri: null }, Date.now());
      await queue.runOnce();

      expect((await app.store.deliveries.listForClient(record.clientId, { after: null, limit: 10 })).items).toMatchObject([{ state: 'dead', attempts: 1, lastError: 'gone' }]);
      expect(await backchannelEvents(session.sid, 1)).toMatchObject([{ type: 'logout.backchannel_failed', details: { client_id: record.clientId, attempts: 1, reason: 'gone' } }]);
      expect(at.received).toEqual([]);
    });
  });

  describe('receivers on private addresses (issue 19, N1: no probing of internal hosts)', () => {
    // What the configuration decides for a public issuer (src/config.ts): private receivers refused.
    const publicIssuer = { issuer: 'https://idp.example', allowPrivateAddresses: false };
    const direct = (sender: OwnBackchannelOptions['sender']) => {
      const made = ownBackchannel(app, { sender });
      deliveries.push(made);
      return made.backchannel;
    };

    async function clientRecord(name: string, uri: string): Promise<ClientRecord> {
      const registered = await addClient(app, { name, redirectUris: [`https://${name.toLowerCase()}.example/cb`], backchannelLogoutUri: uri });
      return (await app.store.clients.findById(registered.clientId)) ?? expect.fail('the client was not stored');
    }

    /** The client with this back-channel URI written straight to the store (each attempt reads the client as stored). */
    async function storedWith(record: ClientRecord, uri: string): Promise<ClientRecord> {
      return (await app.store.clients.update(record.clientId, { backchannelLogoutUri: uri }, Date.now())) ?? expect.fail('the client was not updated');
    }

    /** Notifies one client and returns its single audit event, once its first attempt is over. */
    async function deliverOnce(backchannel: BackchannelLogout, userId: string, record: ClientRecord): Promise<AuditEventRecord | undefined> {
      const session = sessionRecord(userId);
      await backchannel.notify(session, [record]);
      await backchannel.drain();
      return (await backchannelEvents(session.sid, 1))[0];
    }

    it('refuses a loopback address literal under a public issuer without connecting, and does not retry', async () => {
      const user = await person();
      const at = await receiver();
      const record = await clientRecord('Loopback', at.url);
      const event = await deliverOnce(direct(publicIssuer), user.id, record);
      expect(event).toMatchObject({ type: 'logout.backchannel_failed', details: { attempts: 1, reason: 'refused_address' } });
      expect(at.received).toEqual([]);
      // Final: dead at once, nothing left to retry.
      expect((await app.store.deliveries.listForClient(record.clientId, { after: null, limit: 10 })).items).toMatchObject([{ state: 'dead', attempts: 1, lastError: 'refused_address' }]);
    });

    it('refuses a host name that resolves to loopback at delivery time (localhost)', async () => {
      const user = await person();
      const at = await receiver();
      const event = await deliverOnce(direct(publicIssuer), user.id, await clientRecord('Localhost', at.url.replace('127.0.0.1', 'localhost')));
      expect(event).toMatchObject({ type: 'logout.backchannel_failed', details: { attempts: 1, reason: 'refused_address' } });
      expect(at.received).toEqual([]);
    });

    it('refuses a name when any of its addresses is private, however it resolved at registration (DNS rebinding)', async () => {
      const user = await person();
      const asked: string[] = [];
      const resolve: Resolver = async (hostname) => {
        asked.push(hostname);
        return [
          { address: '93.184.215.14', family: 4 },
          { address: '::ffff:10.0.0.1', family: 6 },
        ];
      };
      // Stored as it might have been registered when the name resolved to a public address.
      const record = await storedWith(await clientRecord('Rebound', 'https://rp.example/bc'), 'https://rebound.example/bc');
      const event = await deliverOnce(direct({ ...publicIssuer, resolve }), user.id, record);
      expect(event).toMatchObject({ details: { attempts: 1, reason: 'refused_address' } });
      expect(asked).toEqual(['rebound.example']);
    });

    it('connects to the address the check resolved, asking the resolver once per attempt', async () => {
      const user = await person();
      const at = await receiver();
      const asked: string[] = [];
      // No DNS knows this name: the POST can only arrive if the connection used the checked answer.
      const resolve: Resolver = async (hostname) => {
        asked.push(hostname);
        return [{ address: '127.0.0.1', family: 4 }];
      };
      const record = await storedWith(await clientRecord('Checked', at.url), at.url.replace('127.0.0.1', 'receiver.invalid'));
      const event = await deliverOnce(direct({ allowPrivateAddresses: true, resolve }), user.id, record);
      expect(event).toMatchObject({ type: 'logout.backchannel_delivered', details: { attempts: 1, status: 200 } });
      expect(at.received).toHaveLength(1);
      expect(asked).toEqual(['receiver.invalid']);
    });

    it("applies the server's own ALLOW_PRIVATE_CLIENT_URLS=false to its deliveries, even under a loopback issuer", async () => {
      const strict = await startApp({ env: { ALLOW_PRIVATE_CLIENT_URLS: 'false' } });
      try {
        const user = await addUser(strict, 'strict@example.com');
        const at = await receiver();
        // Registered without the configuration's rule, as a client stored before it was: each delivery still checks.
        const stored = { store: strict.store, clock: strict.clock, passwordMinLength: strict.config.passwordMinLength, actor: 'test', config: { allowPrivateClientUrls: true } };
        const { client: registered } = await createClient(stored, { name: 'Strict', redirectUris: ['https://strict.example/cb'], backchannelLogoutUri: at.url });
        const session = sessionRecord(user.id);
        await strict.store.sessions.create(session);
        await strict.store.sessions.addClient(session.sid, registered.clientId, Date.now());
        await setDisabled({ store: strict.store, clock: strict.clock, passwordMinLength: strict.config.passwordMinLength, actor: 'test', sessionEnd: strict.sessionEnd }, user.email, true);
        await strict.sessionEnd.drain();
        const events = (await strict.store.audit.list({ limit: 100 })).filter((event) => event.type.startsWith('logout.backchannel_'));
        expect(events).toMatchObject([{ type: 'logout.backchannel_failed', details: { client_id: registered.clientId, attempts: 1, reason: 'refused_address' } }]);
        expect(at.received).toEqual([]);
      } finally {
        await strict.stop();
      }
    });

    it('follows ALLOW_PRIVATE_CLIENT_URLS over the issuer: false refuses loopback under a loopback issuer, true allows it under a public one', async () => {
      const user = await person();
      const at = await receiver();
      const record = await clientRecord('Configured', at.url);
      expect(await deliverOnce(direct({ allowPrivateAddresses: false }), user.id, record)).toMatchObject({ details: { reason: 'refused_address' } });
      expect(at.received).toEqual([]);
      expect(await deliverOnce(direct({ ...publicIssuer, allowPrivateAddresses: true }), user.id, record)).toMatchObject({ type: 'logout.backchannel_delivered' });
      expect(at.received).toHaveLength(1);
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

    it('sends a logout token for each session from `idp user disable`, and leaves a failed one to the running server, which delivers it', async () => {
      const user = await person();
      const at = (await receiver()).answer([{ status: 500 }]);
      const wiki = await client('Wiki', at);
      const sids = await twoSessions(user, wiki);
      // The tool settles its first attempts with a back-off of about a second.
      const result = await runIdp(['user', 'disable', user.email], { ...idpEnv(app), DELIVERY_RETRY_BASE: '1' });
      expect(result.code, result.stderr).toBe(0);
      // Both first attempts were made before the tool exited; one got the 500 and waits, durable, in the store.
      expect(at.received).toHaveLength(2);
      const { items } = await app.store.deliveries.listForClient(wiki.clientId, { after: null, limit: 10 });
      expect(items.map((delivery) => [delivery.state, delivery.attempts, delivery.lastStatus]).sort()).toEqual([
        ['delivered', 1, 200],
        ['pending', 1, 500],
      ]);
      // This server's queue (any node's) makes the retry once it is due: polled, at most a few seconds.
      for (let poll = 0; poll < 50 && at.received.length < 3; poll++) {
        await app.deliveries.runOnce();
        if (at.received.length < 3) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect([...new Set(await sidsReceived(at, 3, wiki.clientId, user.id))]).toEqual(sids.sort());
      const events = [...(await backchannelEvents(sids[0] ?? '', 1)), ...(await backchannelEvents(sids[1] ?? '', 1))];
      expect(events.map((event) => [event.type, event.actor]).sort()).toEqual([
        ['logout.backchannel_delivered', 'system'],
        ['logout.backchannel_delivered', 'system'],
      ]);
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

    it("sends the old session's clients a logout token for the old sid when another person signs in in the same browser", async () => {
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

  it("leaves the session's tokens dead after the logout: the access token at userinfo, the session-bound refresh token", async () => {
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
