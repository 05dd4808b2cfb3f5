// Back-channel logout through the durable delivery queue (issue 26): an application that is down when a session
// ends hears of it once it is back, from whichever node runs the queue, after waits that grow (DELIVERY_RETRY_BASE,
// doubled each time, ±10 %); one down for good ends dead (the dead-letter state) after DELIVERY_MAX_ATTEMPTS, and
// the client page's log shows it with a Redeliver button. A node that stops mid-attempt leaves the delivery to the
// others. The app runs on a fake clock and its queue is never started: the test runs it (runOnce), so every wait is
// stated, not slept through.
import { createRemoteJWKSet, decodeJwt, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventRecord, DeliveryRecord, UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { ownBackchannel } from '../helpers/backchannel.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const BASE_MS = 10_000;

describe('back-channel logout through the delivery queue (retries, dead letters, the client log)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let receivers: LogoutReceiver[] = [];
  let people = 0;

  async function receiver(port = 0): Promise<LogoutReceiver> {
    return receivers[receivers.push(await LogoutReceiver.start(port)) - 1] as LogoutReceiver;
  }

  function client(name: string, at: LogoutReceiver): Promise<TestClient> {
    people += 1;
    return addClient(app, { name, redirectUris: [`https://app${people}.example/cb`], backchannelLogoutUri: at.url });
  }

  function person(): Promise<UserRecord> {
    people += 1;
    return addUser(app, `retry${people}@example.com`, { name: `Retry ${people}` });
  }

  /** Signs `user` in to `via` and logs out with the ID token as hint (one session, ended at once). */
  async function signInAndOut(via: TestClient, user: UserRecord): Promise<string> {
    const browser = new Browser();
    const tokens = await tokensFor(app, via, browser, 'openid', user.email);
    const answer = await browser.get(`${app.config.issuer}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token }).toString()}`);
    expect(answer.status, answer.body).toBe(200);
    return String(decodeJwt(tokens.id_token).sid);
  }

  /** The client's one back-channel delivery, as stored now. */
  async function onlyDelivery(via: TestClient): Promise<DeliveryRecord> {
    const { items } = await app.store.deliveries.listForClient(via.clientId, { after: null, limit: 10 });
    expect(items).toHaveLength(1);
    return items[0] as DeliveryRecord;
  }

  async function events(type: string, clientId: string): Promise<AuditEventRecord[]> {
    return (await app.store.audit.list({ limit: 1000 })).filter((event) => event.type === type && event.clientId === clientId);
  }

  const verify = async (token: string, audience: string): Promise<JWTPayload> => (await verifyLogoutToken(token, jwks, app.config.issuer, audience, clock.now())).payload;

  beforeAll(async () => {
    app = await startApp({ clock, env: { DELIVERY_RETRY_BASE: String(BASE_MS / 1000), DELIVERY_MAX_ATTEMPTS: '3' } });
    jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
  });
  afterEach(async () => {
    await Promise.all(receivers.map((open) => open.close()));
    receivers = [];
  });
  afterAll(() => app?.stop());

  it('delivers to a receiver that was down once it is back, waiting DELIVERY_RETRY_BASE and then twice as long, with a fresh token', async () => {
    const user = await person();
    const first = await receiver();
    const wiki = await client('Wiki', first);
    const port = first.port;
    await first.close();

    const sid = await signInAndOut(wiki, user);
    const failed = await onlyDelivery(wiki);
    expect(failed).toMatchObject({ kind: 'backchannel_logout', state: 'pending', attempts: 1, lastStatus: null, lastError: 'connection_failed', leaseOwner: null });
    // The first wait is the base, ±10 %.
    expect(failed.nextAttemptAt - failed.updatedAt).toBeGreaterThanOrEqual(BASE_MS * 0.9);
    expect(failed.nextAttemptAt - failed.updatedAt).toBeLessThanOrEqual(BASE_MS * 1.1);

    // A millisecond before it is due, the queue leaves it alone.
    clock.advance(failed.nextAttemptAt - clock.now() - 1);
    await app.deliveries.runOnce();
    expect((await onlyDelivery(wiki)).attempts).toBe(1);
    clock.advance(1);
    await app.deliveries.runOnce();
    const again = await onlyDelivery(wiki);
    expect(again).toMatchObject({ state: 'pending', attempts: 2, lastError: 'connection_failed' });
    expect(again.nextAttemptAt - clock.now()).toBeGreaterThanOrEqual(2 * BASE_MS * 0.9);
    expect(again.nextAttemptAt - clock.now()).toBeLessThanOrEqual(2 * BASE_MS * 1.1);

    const back = await receiver(port);
    clock.advance(again.nextAttemptAt - clock.now());
    await app.deliveries.runOnce();
    expect(await onlyDelivery(wiki)).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
    expect(back.received).toHaveLength(1);
    const payload = await verify(back.tokens[0] ?? '', wiki.clientId);
    // Signed at this attempt, not when the session ended: a receiver checking iat does not refuse it as stale.
    expect(payload).toMatchObject({ sub: user.id, sid, iat: Math.floor(clock.now() / 1000) });
    expect((await events('logout.backchannel_delivered', wiki.clientId)).map((event) => event.details)).toEqual([
      { client_id: wiki.clientId, sid, attempts: 3, status: 200, delivery_id: failed.id },
    ]);
    expect(await events('logout.backchannel_failed', wiki.clientId)).toEqual([]);
  });

  it('gives up after DELIVERY_MAX_ATTEMPTS: the delivery is dead, audited once as failed and as a dead delivery, each attempt with its own token', async () => {
    const user = await person();
    const broken = (await receiver()).answer([], { status: 500 });
    const crm = await client('CRM', broken);
    const sid = await signInAndOut(crm, user);
    for (let attempt = 2; attempt <= 3; attempt++) {
      clock.advance((await onlyDelivery(crm)).nextAttemptAt - clock.now());
      await app.deliveries.runOnce();
    }
    const dead = await onlyDelivery(crm);
    expect(dead).toMatchObject({ state: 'dead', attempts: 3, lastStatus: 500, lastError: 'http_status' });
    // Dead is final: nothing is due any more, whatever the time.
    clock.advance(24 * 60 * 60_000);
    await app.deliveries.runOnce();
    expect(broken.received).toHaveLength(3);
    // Each checked at the time it was sent.
    const jtis = new Set<unknown>();
    for (const token of broken.tokens) jtis.add((await verifyLogoutToken(token, jwks, app.config.issuer, crm.clientId, (decodeJwt(token).iat ?? 0) * 1000)).payload.jti);
    expect(jtis.size).toBe(3);
    expect((await events('logout.backchannel_failed', crm.clientId)).map((event) => event.details)).toEqual([
      { client_id: crm.clientId, sid, attempts: 3, reason: 'http_status', status: 500, delivery_id: dead.id },
    ]);
    expect((await events('delivery.dead', crm.clientId)).map((event) => event.details)).toEqual([
      { delivery_id: dead.id, kind: 'backchannel_logout', target: crm.clientId, event_type: 'logout', attempts: 3, reason: 'http_status', status: 500 },
    ]);
  });

  it('leaves a delivery another node stopped in the middle of to the running ones: pending and due, never failed nor dead', async () => {
    const user = await person();
    const hanging = (await receiver()).answer([], 'never');
    const wiki = await client('Stopping', hanging);
    const record = (await app.store.clients.findById(wiki.clientId)) ?? expect.fail('no client');
    const node = ownBackchannel(app);
    await node.backchannel.notify({ userId: user.id, sid: 'sid-stopping' }, [record], 'background');
    await hanging.waitFor(1);
    // The node shuts down while its attempt waits for an answer.
    await node.close();
    const left = await onlyDelivery(wiki);
    expect(left).toMatchObject({ state: 'pending', attempts: 1, lastError: 'shutdown', leaseOwner: null });
    expect(left.nextAttemptAt).toBeLessThanOrEqual(clock.now());
    expect(await events('logout.backchannel_failed', wiki.clientId)).toEqual([]);

    hanging.answer([], { status: 204 });
    await app.deliveries.runOnce();
    expect(await onlyDelivery(wiki)).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 204 });
    expect(hanging.received).toHaveLength(2);
  });

  describe("the client page's delivery log", () => {
    let admin: SignedInAdmin;

    beforeAll(async () => {
      admin = await signedInAdmin(app, 'log-admin@example.com');
    });

    /** A delivery to `via` that died after its attempts, as the queue leaves one. */
    async function deadDelivery(via: TestClient, user: UserRecord, sid: string): Promise<DeliveryRecord> {
      const now = clock.now();
      const [queued] = await app.store.deliveries.enqueue(
        [
          {
            id: `msg_dead_${sid}`,
            kind: 'backchannel_logout',
            webhookId: null,
            clientId: via.clientId,
            eventId: null,
            eventType: 'logout',
            payload: JSON.stringify({ userId: user.id, sid }),
            nextAttemptAt: now,
            lease: { owner: 'test', until: now + 60_000 },
          },
        ],
        now,
      );
      return (await app.store.deliveries.settle(queued?.id ?? '', 'test', { state: 'dead', status: 503, error: 'http_status' }, now)) ?? expect.fail('not settled');
    }

    it('shows each delivery with its state, attempts and last answer on the client page, and Redeliver sends a dead one again', async () => {
      const user = await person();
      const at = await receiver();
      const wiki = await client('Logged <b>app</b>', at);
      const dead = await deadDelivery(wiki, user, 'sid-dead');

      const page = await admin.page(`/admin/clients/${encodeURIComponent(wiki.clientId)}`);
      expect(page.body).toContain('Back-channel logout deliveries');
      expect(page.body).toContain('Logged &lt;b&gt;app&lt;/b&gt;');
      const row = new RegExp(`<tr data-delivery="${dead.id}">([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? '';
      expect(row).toContain('badge-bad">dead<');
      expect(row).toContain('<code>sid-dead</code>');
      expect(row).toContain('HTTP 503, <code>http_status</code>');
      expect(row).toContain(`/admin/clients/${encodeURIComponent(wiki.clientId)}/deliveries/${dead.id}/redeliver`);

      const answer = await admin.post(`/admin/clients/${encodeURIComponent(wiki.clientId)}/deliveries/${dead.id}/redeliver`, {});
      expect(answer.status, answer.body).toBe(303);
      const log = await admin.browser.get(new URL(answer.location ?? '', app.url).toString());
      expect(log.status).toBe(200);
      expect(log.body).toContain('will be sent again');
      expect(await app.store.deliveries.findById(dead.id)).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: clock.now() });
      const [audited] = await events('delivery.redelivered', wiki.clientId);
      expect(audited).toMatchObject({ actor: admin.user.id, details: { delivery_id: dead.id, kind: 'backchannel_logout', target: wiki.clientId } });

      await app.deliveries.runOnce();
      expect(await app.store.deliveries.findById(dead.id)).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200 });
      expect((await verify(at.tokens[0] ?? '', wiki.clientId)).sid).toBe('sid-dead');
    });

    it('sends the logout of a session an administrator ended, after the receiver comes back, and the log shows it delivered', async () => {
      const user = await person();
      const first = await receiver();
      const wiki = await client('Admin ended', first);
      const tokens = await tokensFor(app, wiki, new Browser(), 'openid', user.email);
      const sid = String(decodeJwt(tokens.id_token).sid);
      const port = first.port;
      await first.close();

      const answer = await admin.post(`/admin/users/${encodeURIComponent(user.id)}/sessions/${encodeURIComponent(sid)}/revoke`, {});
      expect(answer.status, answer.body).toBe(303);
      const pending = await onlyDelivery(wiki);
      expect(pending).toMatchObject({ state: 'pending', attempts: 1, lastError: 'connection_failed' });
      let log = await admin.page(`/admin/clients/${encodeURIComponent(wiki.clientId)}/deliveries`);
      // A pending delivery has no Redeliver button: the queue tries it again by itself.
      expect(new RegExp(`<tr data-delivery="${pending.id}">[\\s\\S]*?</tr>`).exec(log.body)?.[0]).toMatch(/badge-warn">pending<[\s\S]*<code>connection_failed<\/code>[\s\S]*<td>\s*—\s*<\/td>/);

      const back = await receiver(port);
      clock.advance(pending.nextAttemptAt - clock.now());
      await app.deliveries.runOnce();
      expect((await verify(back.tokens[0] ?? '', wiki.clientId)).sid).toBe(sid);
      log = await admin.page(`/admin/clients/${encodeURIComponent(wiki.clientId)}/deliveries`);
      expect(new RegExp(`<tr data-delivery="${pending.id}">[\\s\\S]*?</tr>`).exec(log.body)?.[0]).toContain('badge-ok">delivered<');
    });

    it("refuses to redeliver a pending delivery (409), another client's (404) or one without the CSRF token (403), writing nothing", async () => {
      const user = await person();
      const at = await receiver();
      const [mine, theirs] = [await client('Mine', at), await client('Theirs', at)];
      const dead = await deadDelivery(theirs, user, 'sid-theirs');
      const now = clock.now();
      const [pending] = await app.store.deliveries.enqueue(
        [
          {
            id: 'msg_pending_mine',
            kind: 'backchannel_logout',
            webhookId: null,
            clientId: mine.clientId,
            eventId: null,
            eventType: 'logout',
            payload: JSON.stringify({ userId: user.id, sid: 's' }),
            nextAttemptAt: now + BASE_MS,
          },
        ],
        now,
      );
      const before = (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
      const path = (client: TestClient, id: string) => `/admin/clients/${encodeURIComponent(client.clientId)}/deliveries/${encodeURIComponent(id)}/redeliver`;

      expect((await admin.post(path(mine, pending?.id ?? ''), {})).status).toBe(409);
      expect((await admin.post(path(mine, dead.id), {})).status).toBe(404);
      expect((await admin.post(path(mine, 'msg_nothing'), {})).status).toBe(404);
      expect((await admin.browser.postForm(`${app.url}${path(theirs, dead.id)}`, {})).status).toBe(403);
      expect(await app.store.deliveries.findById(dead.id)).toEqual(dead);
      expect(await app.store.deliveries.findById(pending?.id ?? '')).toEqual(pending);
      expect((await app.store.audit.list({ limit: 100 })).filter((event) => event.id > before && event.type === 'delivery.redelivered')).toEqual([]);
      // A stranger to the admin screens gets no log at all.
      const stranger = await new Browser().get(`${app.url}/admin/clients/${encodeURIComponent(theirs.clientId)}/deliveries`);
      expect(stranger.status).toBe(303);
    });
  });
});
