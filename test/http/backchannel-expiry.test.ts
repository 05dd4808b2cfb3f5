// Sessions that are over by time end at the applications too (issue 26; some providers send nothing then,
// keycloak#25171): housekeeping takes a session past its absolute lifetime (SESSION_TTL) or idle for
// SESSION_IDLE_TTL, ends it as a logout would (audited `session.ended` with reason `expired`, its tokens revoked)
// and queues a logout token for each application that received tokens in it; the delivery queue sends them. A
// session still in use is left alone, and two nodes sweeping at once tell each application once. The app runs on a
// fake clock; the sweep is the server's (src/store/housekeeping.ts with src/logout/expired-sessions.ts).
import { createRemoteJWKSet, decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endExpiredSessions } from '../../src/logout/expired-sessions.js';
import type { AuditEventRecord, UserRecord } from '../../src/store/records.js';
import { sweepExpired } from '../../src/store/housekeeping.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const TTL_S = 3600;
const IDLE_S = 2400;
const SECOND = 1000;

describe('back-channel logout when a session expires or idles out', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let receivers: LogoutReceiver[] = [];
  let people = 0;

  async function receiver(): Promise<LogoutReceiver> {
    return receivers[receivers.push(await LogoutReceiver.start()) - 1] as LogoutReceiver;
  }

  function client(name: string, at: LogoutReceiver | null): Promise<TestClient> {
    people += 1;
    return addClient(app, { name, redirectUris: [`https://app${people}.example/cb`], ...(at ? { backchannelLogoutUri: at.url } : {}) });
  }

  function person(): Promise<UserRecord> {
    people += 1;
    return addUser(app, `expiry${people}@example.com`, { name: `Expiry ${people}` });
  }

  async function signIn(browser: Browser, via: TestClient, user: UserRecord) {
    const tokens = await tokensFor(app, via, browser, 'openid', user.email);
    return { ...tokens, sid: String(decodeJwt(tokens.id_token).sid) };
  }

  /** The server's housekeeping run, as src/server.ts wires it. */
  function housekeeping(): Promise<number> {
    const deps = { store: app.store, sessionEnd: app.sessionEnd, idleSeconds: app.config.lifetimes.sessionIdle };
    return sweepExpired(app.store, clock.now(), { endExpiredSessions: (now) => endExpiredSessions(deps, now) });
  }

  async function endedEvents(sid: string): Promise<AuditEventRecord[]> {
    return (await app.store.audit.list({ limit: 1000 })).filter((event) => event.type === 'session.ended' && event.details.sid === sid);
  }

  beforeAll(async () => {
    app = await startApp({ clock, env: { SESSION_TTL: String(TTL_S), SESSION_IDLE_TTL: String(IDLE_S) } });
    jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
  });
  afterEach(async () => {
    await Promise.all(receivers.map((open) => open.close()));
    receivers = [];
  });
  afterAll(() => app?.stop());

  it('ends a session at its absolute lifetime as a logout would, and the queue sends each application with a URI a logout token', async () => {
    const user = await person();
    const at = await receiver();
    const [wiki, silent] = [await client('Wiki', at), await client('No URI', null)];
    const browser = new Browser();
    const signedIn = await signIn(browser, wiki, user);
    await signIn(browser, silent, user);
    // In use all along (a refresh is activity), so it is the absolute lifetime that ends it.
    clock.advance(2000 * SECOND);
    const rotated = await refresh(app, wiki, signedIn.refresh_token);
    expect(rotated.status).toBe(200);
    clock.advance((TTL_S - 2000) * SECOND - 1);
    await housekeeping();
    expect(await endedEvents(signedIn.sid)).toEqual([]);
    clock.advance(1);

    await housekeeping();
    const [ended] = await endedEvents(signedIn.sid);
    expect(ended).toMatchObject({ actor: 'system', subject: user.id, details: { sid: signedIn.sid, reason: 'expired' } });
    // Both signed in at the same instant of the fake clock: in no particular order.
    expect([...((ended?.details.clients ?? []) as string[])].sort()).toEqual([wiki.clientId, silent.clientId].sort());
    // Queued, not sent by housekeeping itself: the queue sends at its own pace.
    const { items } = await app.store.deliveries.listForClient(wiki.clientId, { after: null, limit: 10 });
    expect(items).toMatchObject([{ state: 'pending', attempts: 0 }]);
    expect((await app.store.deliveries.listForClient(silent.clientId, { after: null, limit: 10 })).items).toEqual([]);

    await app.deliveries.runOnce();
    expect(at.received).toHaveLength(1);
    const { payload } = await verifyLogoutToken(at.tokens[0] ?? '', jwks, app.config.issuer, wiki.clientId, clock.now());
    expect(payload).toMatchObject({ sub: user.id, sid: signedIn.sid });
    expect(await app.store.sessions.findLiveBySid(signedIn.sid, clock.now() - TTL_S * SECOND)).toBeNull();
    // The session-bound refresh token went with it.
    const refused = await refresh(app, wiki, String(rotated.json.refresh_token));
    expect({ status: refused.status, error: refused.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('ends a session idle for SESSION_IDLE_TTL and leaves one still in use alone', async () => {
    const user = await person();
    const at = await receiver();
    const wiki = await client('Wiki', at);
    const idle = await signIn(new Browser(), wiki, user);
    const busy = await signIn(new Browser(), wiki, user);
    clock.advance((IDLE_S / 2) * SECOND);
    const rotated = await refresh(app, wiki, busy.refresh_token);
    expect(rotated.status).toBe(200);
    clock.advance((IDLE_S / 2) * SECOND);

    await housekeeping();
    expect(await endedEvents(idle.sid)).toMatchObject([{ details: { reason: 'expired' } }]);
    expect(await endedEvents(busy.sid)).toEqual([]);
    await app.deliveries.runOnce();
    expect(at.received).toHaveLength(1);
    expect(decodeJwt(at.tokens[0] ?? '')).toMatchObject({ sid: idle.sid });
    expect((await refresh(app, wiki, String(rotated.json.refresh_token))).status).toBe(200);
  });

  it('tells each application once when two nodes sweep at the same moment', async () => {
    const user = await person();
    const at = await receiver();
    const wiki = await client('Wiki', at);
    const sids = [(await signIn(new Browser(), wiki, user)).sid, (await signIn(new Browser(), wiki, user)).sid];
    clock.advance(IDLE_S * SECOND);

    await Promise.all([housekeeping(), housekeeping()]);
    for (const sid of sids) expect(await endedEvents(sid)).toHaveLength(1);
    await app.deliveries.runOnce();
    expect(at.tokens.map((token) => String(decodeJwt(token).sid)).sort()).toEqual([...sids].sort());
  });
});
