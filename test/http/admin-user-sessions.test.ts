// A user's sessions on the admin screens: listed with the applications each signed in to, ended one at a time
// or all at once; and disabling or deleting a user ends everything they hold at once, with back-channel
// logout (OpenID Connect Back-Channel Logout 1.0) to every application they signed in to.
import { createRemoteJWKSet, decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { AuditEventRecord, UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { addClient, addUser, authorizationUrl, open, redeemRaw, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

describe("admin: a user's sessions", () => {
  let app: RunningApp;
  let admin: SignedInAdmin;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let receivers: LogoutReceiver[] = [];
  let people = 0;

  async function receiver(): Promise<LogoutReceiver> {
    const started = await LogoutReceiver.start();
    receivers.push(started);
    return started;
  }

  /** A client that hears of logouts at `at`. */
  function client(name: string, at: LogoutReceiver): Promise<TestClient> {
    people += 1;
    return addClient(app, { name, redirectUris: [`https://app${people}.example/cb`], backchannelLogoutUri: at.url });
  }

  function person(): Promise<UserRecord> {
    people += 1;
    return addUser(app, `member${people}@example.com`, { name: `Member ${people}` });
  }

  /** Signs `user` in to `via` in `browser` (the form, or single sign-on) and returns the tokens and the session id. */
  async function signIn(browser: Browser, via: TestClient, user: UserRecord, scope = 'openid') {
    const tokens = await tokensFor(app, via, browser, scope, user.email);
    return { ...tokens, sid: String(decodeJwt(tokens.id_token).sid) };
  }

  async function eventsAbout(subject: string, after: number): Promise<AuditEventRecord[]> {
    return (await app.store.audit.list({ limit: 100, filter: { subject } })).filter((event) => event.id > after).reverse();
  }

  async function lastEventId(): Promise<number> {
    return (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
  }

  /** Whether the refresh token is refused with invalid_grant, as a dead one must be. */
  async function refused(via: TestClient, refreshToken: string): Promise<boolean> {
    const answer = await refresh(app, via, refreshToken);
    if (answer.status === 200) return false;
    expect({ status: answer.status, error: answer.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
    return true;
  }

  /** A code issued by single sign-on in `browser` and left unredeemed, with what redeeming it needs. */
  async function pendingCode(browser: Browser, via: TestClient) {
    const start = await authorizationUrl(via, { scope: 'openid' });
    const page = await open(browser, app, start.url);
    expect(page.status, page.body).toBe(303);
    return { code: new URL(page.location ?? '').searchParams.get('code') ?? '', start };
  }

  /** Expects exactly one logout token at `at`, for this client, user and session. */
  async function expectLogoutToken(at: LogoutReceiver, via: TestClient, user: UserRecord, sid: string): Promise<void> {
    await at.waitFor(1);
    expect(at.tokens).toHaveLength(1);
    const { payload } = await verifyLogoutToken(at.tokens[0] ?? '', jwks, app.config.issuer, via.clientId);
    expect(payload).toMatchObject({ sub: user.id, sid });
  }

  beforeAll(async () => {
    app = await startApp();
    jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
    admin = await signedInAdmin(app, 'sessions-admin@example.com');
  });
  afterEach(async () => {
    await Promise.all(receivers.map((open) => open.close()));
    receivers = [];
  });
  afterAll(() => app?.stop());

  it('lists each live session with the applications it signed in to (names escaped), its times, and a Revoke button', async () => {
    const user = await person();
    const wiki = await client(`Wiki ${XSS}`, await receiver());
    const crm = await client('CRM', await receiver());
    const browser = new Browser();
    const { sid } = await signIn(browser, wiki, user);
    await signIn(browser, crm, user);
    const other = await signIn(new Browser(), crm, user);

    const page = await admin.page(`/admin/users/${user.id}`);
    expect(page.body).not.toContain(XSS);
    const row = new RegExp(`<tr>\\s*<td><code>${sid}</code>[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
    expect(row).toContain(`<td>Wiki ${ESCAPED}, CRM</td>`);
    expect(row.match(/<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time>/g)).toHaveLength(4);
    expect(row).toMatch(new RegExp(`<form method="post" action="/admin/users/${user.id}/sessions/${sid}/revoke" class="inline">\\s*<input type="hidden" name="csrf" value="[^"]+">`));
    expect(page.body).toContain(`<code>${other.sid}</code>`);
    expect(page.body).not.toContain('your current session');
    expect((await admin.page(`/admin/users/${admin.user.id}`)).body).toContain('your current session');
  });

  it('revokes one session: its applications get a logout token, its tokens die but offline access stays, other sessions stay; audited', async () => {
    const user = await person();
    const at = await receiver();
    const wiki = await client('Wiki', at);
    const browser = new Browser();
    const online = await signIn(browser, wiki, user, 'openid');
    const offline = await signIn(browser, wiki, user, 'openid offline_access');
    const elsewhere = await signIn(new Browser(), wiki, user, 'openid');
    const before = await lastEventId();

    const answer = await admin.post(`/admin/users/${user.id}/sessions/${online.sid}/revoke`, {});
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/admin/users/${user.id}?done=revoked`);
    await expectLogoutToken(at, wiki, user, online.sid);
    expect(await app.store.sessions.findLiveBySid(online.sid, Date.now())).toBeNull();
    expect(await app.store.sessions.findLiveBySid(elsewhere.sid, Date.now())).not.toBeNull();
    expect(await refused(wiki, online.refresh_token)).toBe(true);
    expect(await refused(wiki, offline.refresh_token)).toBe(false);
    expect(await refused(wiki, elsewhere.refresh_token)).toBe(false);
    const events = await eventsAbout(user.id, before);
    expect(events.find((event) => event.type === 'session.revoked_by_admin')).toMatchObject({ actor: admin.user.id, subject: user.id, ip: '127.0.0.1', details: { sid: online.sid } });
    expect(events.find((event) => event.type === 'session.ended')).toMatchObject({ actor: admin.user.id, details: { sid: online.sid, reason: 'admin' } });
    expect((await admin.page(`/admin/users/${user.id}?done=revoked`)).body).toContain('The session was ended.');
  });

  it('answers 404 for a session of someone else or one that has ended, and ends nothing', async () => {
    const [user, other] = [await person(), await person()];
    const wiki = await client('Wiki', await receiver());
    const theirs = await signIn(new Browser(), wiki, other);
    const before = await lastEventId();
    expect((await admin.post(`/admin/users/${user.id}/sessions/${theirs.sid}/revoke`, {})).status).toBe(404);
    expect((await admin.post(`/admin/users/${user.id}/sessions/no-such-session/revoke`, {})).status).toBe(404);
    expect(await app.store.sessions.findLiveBySid(theirs.sid, Date.now())).not.toBeNull();
    expect(await refused(wiki, theirs.refresh_token)).toBe(false);
    expect(await lastEventId()).toBe(before);
  });

  it('signs a user out everywhere: every session ends, every token dies, offline access included; audited', async () => {
    const user = await person();
    const at = await receiver();
    const wiki = await client('Wiki', at);
    const first = await signIn(new Browser(), wiki, user, 'openid offline_access');
    const second = await signIn(new Browser(), wiki, user, 'openid');
    const before = await lastEventId();

    const answer = await admin.post(`/admin/users/${user.id}/sign-out-everywhere`, {});
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/admin/users/${user.id}?done=signed-out`);
    await at.waitFor(2);
    expect(await app.store.sessions.listForUser(user.id, Date.now())).toEqual([]);
    expect(await refused(wiki, first.refresh_token)).toBe(true);
    expect(await refused(wiki, second.refresh_token)).toBe(true);
    expect((await eventsAbout(user.id, before)).find((event) => event.type === 'user.signed_out_everywhere')).toMatchObject({
      actor: admin.user.id,
      subject: user.id,
      ip: '127.0.0.1',
      details: { sessions: 2 },
    });
    expect((await admin.page(`/admin/users/${user.id}`)).body).toContain('No active sessions.');
  });

  for (const action of ['disable', 'delete'] as const) {
    it(`${action === 'disable' ? 'disabling' : 'deleting'} a user ends their session, pending code and refresh token at once and tells their applications`, async () => {
      const user = await person();
      const at = await receiver();
      const wiki = await client('Wiki', at);
      const browser = new Browser();
      const tokens = await signIn(browser, wiki, user, 'openid offline_access');
      const pending = await pendingCode(browser, wiki);
      expect((await app.store.refreshTokens.find(hashSecret(tokens.refresh_token)))?.revokedAt).toBeNull();

      const answer = await admin.post(`/admin/users/${user.id}/${action}`, {});
      expect(answer.status, answer.body).toBe(303);
      await expectLogoutToken(at, wiki, user, tokens.sid);
      expect(await refused(wiki, tokens.refresh_token)).toBe(true);
      const record = await app.store.refreshTokens.find(hashSecret(tokens.refresh_token));
      // Revoked when disabled; gone with the user when deleted.
      if (action === 'disable') expect(record?.revokedAt).not.toBeNull();
      else expect(record).toBeNull();
      expect(await app.store.sessions.findLiveBySid(tokens.sid, Date.now())).toBeNull();
      const redeemed = await redeemRaw(app, wiki, pending.code, pending.start);
      expect(redeemed.error).toBe('invalid_grant');
      expect(redeemed.id_token).toBeUndefined();
      // The user's browser no longer has a session: the next authorization request shows the sign-in form.
      const again = await open(browser, app, (await authorizationUrl(wiki)).url);
      expect(again.status).toBe(200);
      expect(again.body).toContain('<h1>Sign in</h1>');
    });
  }
});
