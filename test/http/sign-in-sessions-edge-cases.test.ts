// Sign-in sessions at their edges (src/auth/sessions.ts, OWASP ASVS V3.3 lifetimes, V3.2.1 a new id per sign-in):
// the exact moment an idle or an old session ends, how often activity is written (a tenth of the idle lifetime,
// at most a minute), a user disabled while signed in, and what a new sign-in in the same browser does to the
// session it replaces, live or expired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, submitLogin, type TestClient } from '../helpers/oidc.js';
import { refresh } from '../helpers/refresh.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, personIn, signedInPerson, signInTo, signInToAccount } from './account-helpers.js';

const SECOND = 1000;
/** SESSION_IDLE_TTL: 5 minutes, so that a tenth of it (30 s) is below the one-minute cap on unrecorded activity. */
const IDLE = 300 * SECOND;
/** SESSION_TTL: 15 minutes. */
const TTL = 900 * SECOND;

describe('sign-in sessions: edges (OWASP ASVS V3.3)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let origin: string;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp({ clock, env: { SESSION_IDLE_TTL: String(IDLE / SECOND), SESSION_TTL: String(TTL / SECOND) } });
    origin = new URL(app.url).origin;
    client = await addClient(app, { name: 'Wiki', redirectUris: ['https://wiki.example/cb'] });
  });
  afterAll(() => app?.stop());

  const cookieOf = (browser: Browser) => browser.cookie(origin, 'gatehouse_session') ?? '';
  const lastSeen = async (browser: Browser) => (await app.store.sessions.findLive(hashSecret(cookieOf(browser)), clock.now()))?.lastSeenAt;

  /** Signs in again in `browser`, which has a session cookie, through the login form (prompt=login). */
  async function signInAgain(browser: Browser, email: string): Promise<void> {
    const page = await open(browser, app, (await authorizationUrl(client, { prompt: 'login' })).url);
    expect((await submitLogin(browser, page, email)).status).toBe(303);
  }

  it('ends a session idle for exactly SESSION_IDLE_TTL, and keeps one idle a millisecond less', async () => {
    const kept = await signedInPerson(app, await newPerson(app, 'kept'));
    const ended = await signedInPerson(app, await newPerson(app, 'ended'));
    clock.advance(IDLE - 1);
    expect(await kept.signedIn()).toBe(true);
    clock.advance(1);
    expect(await ended.signedIn()).toBe(false);
  });

  it('records activity once a tenth of the idle lifetime (30 s) has passed since the last record, and not before', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'active'));
    const signedInAt = await lastSeen(person.browser);
    expect(signedInAt).toBe(clock.now());
    clock.advance(30 * SECOND - 1);
    expect(await person.signedIn()).toBe(true);
    expect(await lastSeen(person.browser)).toBe(signedInAt);
    clock.advance(1);
    expect(await person.signedIn()).toBe(true);
    expect(await lastSeen(person.browser)).toBe(clock.now());
    // Idle from that record: the session ends a full idle lifetime after it, not after the sign-in.
    clock.advance(IDLE - 1);
    expect(await personIn(app, person.user, person.browser).signedIn()).toBe(true);
  });

  it('ends a session at SESSION_TTL after the sign-in even while it is used, and sets its cookie to live as long', async () => {
    const browser = new Browser();
    const user = await newPerson(app, 'old');
    const answer = await signInToAccount(app, user.email, browser);
    expect(answer.status).toBe(303);
    expect(answer.headers.getSetCookie().find((line) => line.startsWith('gatehouse_session='))).toMatch(new RegExp(`; Max-Age=${TTL / SECOND}(;|$)`));
    const person = personIn(app, user, browser);
    const session = await app.store.sessions.findLive(hashSecret(cookieOf(browser)), clock.now());
    expect(session).toMatchObject({ authTime: clock.now(), createdAt: clock.now(), expiresAt: clock.now() + TTL });
    for (let step = 0; step < 3; step++) {
      clock.advance(IDLE - 1);
      expect(await person.signedIn(), `step ${step}`).toBe(true);
    }
    clock.advance(TTL - 3 * (IDLE - 1) - 1);
    expect(await person.signedIn()).toBe(true);
    clock.advance(1);
    expect(await person.signedIn()).toBe(false);
  });

  it('opens nothing for a user disabled while signed in, from the next request on', async () => {
    const user = await newPerson(app, 'disabled');
    const person = await signedInPerson(app, user);
    // Straight in the store: the session row stays, only the user's state changes.
    await app.store.users.update(user.id, { disabled: true }, clock.now());
    expect(await person.signedIn()).toBe(false);
    await app.store.users.update(user.id, { disabled: false }, clock.now());
    expect(await person.signedIn()).toBe(true);
  });

  it('ends the session a new sign-in replaces as signed_in_again, revoking its tokens but keeping its offline grants', async () => {
    const user = await newPerson(app, 'again');
    const browser = new Browser();
    const online = await signInTo(app, client, browser, user, 'openid');
    const offline = await signInTo(app, client, browser, user, 'openid offline_access');
    expect(offline.sid).toBe(online.sid);

    await signInAgain(browser, user.email);
    const [ended] = await app.store.audit.list({ limit: 1, filter: { subject: user.id, type: 'session.ended' } });
    expect(ended).toMatchObject({ actor: user.id, details: { sid: online.sid, reason: 'signed_in_again', clients: [client.clientId] } });
    expect(await app.store.sessions.findLiveBySid(online.sid, clock.now())).toBeNull();
    expect((await refresh(app, client, online.refresh_token)).status).toBe(400);
    expect((await refresh(app, client, offline.refresh_token)).status).toBe(200);
    expect(await app.store.sessions.listForUser(user.id, clock.now())).toHaveLength(1);
  });

  it('signing out this device ends its session as a logout by its user, keeping its offline grants, and drops the cookie', async () => {
    const user = await newPerson(app, 'leaving');
    const browser = new Browser();
    const person = await signedInPerson(app, user, browser);
    const online = await signInTo(app, client, browser, user, 'openid');
    const offline = await signInTo(app, client, browser, user, 'openid offline_access');

    const answer = await person.post('/account/sessions/sign-out', { sid: online.sid });
    expect(answer.status, answer.body).toBe(303);
    expect(answer.headers.getSetCookie().some((line) => /^gatehouse_session=;.*Max-Age=0/i.test(line))).toBe(true);
    const [ended] = await app.store.audit.list({ limit: 1, filter: { subject: user.id, type: 'session.ended' } });
    expect(ended).toMatchObject({ actor: user.id, details: { sid: online.sid, reason: 'logout' } });
    expect((await refresh(app, client, online.refresh_token)).status).toBe(400);
    expect((await refresh(app, client, offline.refresh_token)).status).toBe(200);
  });

  it('removes the row of an expired session whose cookie the browser still sends when it signs in again', async () => {
    const user = await newPerson(app, 'expired');
    const browser = new Browser();
    await signedInPerson(app, user, browser);
    const old = cookieOf(browser);
    clock.advance(TTL);
    expect(await app.store.sessions.findLive(hashSecret(old), clock.now())).toBeNull();
    const rows = () => countRows(app, 'SELECT count(*) AS n FROM sessions WHERE id_hash = ?', [hashSecret(old)]);
    expect(await rows()).toBe(1);
    await signInAgain(browser, user.email);
    expect(cookieOf(browser)).not.toBe(old);
    expect(await rows()).toBe(0);
  });
});
