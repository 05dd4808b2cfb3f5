// A person's connected applications and the removal of one's access (issue 24): src/manage/consents.ts with
// SessionTerminator.removeClient (src/logout/session-end.ts). First on a bare SQLite store with a fake clock (what is
// listed, in which order, and what a refusal leaves untouched); then on a running app (real SQLite, real sign-ins,
// real tokens) whose applications receive the back-channel logout on a loopback HTTP server, each logout token
// verified with jose against the issuer's JWKS: `sid` and `sub` when the application took part in a live session of
// the person, `sub` only otherwise (Back-Channel Logout 1.0 §2.4). Removal kills the refresh token.
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { NotFoundError } from '../../src/errors.js';
import { SessionTerminator } from '../../src/logout/session-end.js';
import { createClient } from '../../src/manage/clients.js';
import { connectedApps, removeClientAccess, type RemovalActor } from '../../src/manage/consents.js';
import type { ManageContext } from '../../src/manage/users.js';
import type { AuditEventRecord, UserRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { ownBackchannel, type OwnBackchannel } from '../helpers/backchannel.js';
import { Browser } from '../helpers/browser.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { BACKCHANNEL_LOGOUT_EVENT, LogoutReceiver } from '../helpers/logout-receiver.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { addClient, addUser, manage, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { MINUTE, newClient, newToken, newUser, T0 } from '../store/engines.js';

const SELF = (userId: string): RemovalActor => ({ actor: userId, kind: 'self' });

describe('connected apps, on a bare store', () => {
  let store: Store;
  let clock: FakeClock;
  let ctx: ManageContext & { sessionEnd: SessionTerminator };

  const snapshot = async () => ({
    consents: await store.consents.listForUser('u1'),
    tokens: await store.refreshTokens.clientsOfUser('u1', clock.now()),
    audit: await store.audit.count({}),
  });
  const refused = refusedWithoutWriting(snapshot);

  manageStorePerTest(async (fresh) => {
    ({ store, clock } = fresh);
    // No back-channel here (nothing can sign): the removal still revokes.
    ctx = { ...fresh.ctx, sessionEnd: new SessionTerminator(store, clock, null) };
    await store.users.create(newUser('u1', 'ada@example.com'), T0);
    await store.users.create(newUser('u2', 'bob@example.com'), T0);
    for (const [id, name] of [
      ['wiki', 'Wiki'],
      ['planner', 'Planner'],
      ['crm', 'CRM'],
      ['gone', 'Gone'],
    ] as const) {
      await store.clients.create(newClient(id, name), T0);
    }
  });

  it('lists the consented applications and those holding live refresh tokens, most recently used first, scopes united', async () => {
    // Planner: allowed, then used (a code under the consent) at T0 + 5 min.
    await store.consents.grant('u1', 'planner', ['openid', 'email'], T0 + MINUTE);
    await store.consents.touch('u1', 'planner', T0 + 5 * MINUTE);
    // Wiki: a first-party application holding a refresh token of T0 + 3 min: nothing was asked.
    await store.refreshTokens.create(newToken('rt-wiki', 'u1', 'wiki', { scope: 'openid offline_access', createdAt: T0 + 3 * MINUTE }));
    // CRM: allowed (openid profile), never used since, and a token with one more scope, refreshed at T0 + 7 min.
    await store.consents.grant('u1', 'crm', ['openid', 'profile'], T0 + 2 * MINUTE);
    await store.refreshTokens.create(newToken('rt-crm', 'u1', 'crm', { scope: 'openid profile offline_access', createdAt: T0 + 7 * MINUTE }));
    // Another person's application, and an application deleted since: not listed.
    await store.consents.grant('u2', 'wiki', ['openid'], T0);
    await store.consents.grant('u1', 'gone', ['openid'], T0 + 9 * MINUTE);
    await store.clients.delete('gone');
    clock.advance(10 * MINUTE);

    const apps = await connectedApps(ctx, 'u1');
    expect(apps.map((app) => ({ id: app.client.clientId, scopes: app.scopes, consentedAt: app.consentedAt, lastUsedAt: app.lastUsedAt, holdsTokens: app.holdsTokens }))).toEqual([
      { id: 'crm', scopes: ['openid', 'profile', 'offline_access'], consentedAt: T0 + 2 * MINUTE, lastUsedAt: T0 + 7 * MINUTE, holdsTokens: true },
      { id: 'planner', scopes: ['openid', 'email'], consentedAt: T0 + MINUTE, lastUsedAt: T0 + 5 * MINUTE, holdsTokens: false },
      { id: 'wiki', scopes: ['openid', 'offline_access'], consentedAt: null, lastUsedAt: T0 + 3 * MINUTE, holdsTokens: true },
    ]);
    expect(await connectedApps(ctx, 'u2')).toMatchObject([{ client: { clientId: 'wiki' }, holdsTokens: false, lastUsedAt: null }]);
  });

  it('leaves out refresh tokens that expired or were revoked, and orders an allowed but unused application by when it was allowed', async () => {
    await store.refreshTokens.create(newToken('rt-old', 'u1', 'wiki', { createdAt: T0, expiresAt: T0 + MINUTE }));
    await store.consents.grant('u1', 'planner', ['openid'], T0 + 2 * MINUTE);
    await store.consents.grant('u1', 'crm', ['openid'], T0 + 4 * MINUTE);
    clock.advance(5 * MINUTE);
    expect((await connectedApps(ctx, 'u1')).map((app) => [app.client.clientId, app.lastUsedAt])).toEqual([
      ['crm', null],
      ['planner', null],
    ]);
  });

  it('refuses to remove what the person has nothing with, writing nothing: an unknown application, one never used, another person’s, an expired token', async () => {
    await store.consents.grant('u2', 'wiki', ['openid'], T0);
    await store.refreshTokens.create(newToken('rt-old', 'u1', 'crm', { createdAt: T0, expiresAt: T0 + MINUTE }));
    clock.advance(2 * MINUTE);
    for (const clientId of ['no-such-app', 'planner', 'wiki', 'crm']) {
      await refused(() => removeClientAccess(ctx, 'u1', clientId, SELF('u1')), NotFoundError, new RegExp(`the application "${clientId}" has no access to this account`));
    }
    expect(await store.consents.find('u2', 'wiki')).not.toBeNull();
  });

  it('removes a consent and every live token of the application for the person, once; another application and person keep theirs', async () => {
    await store.consents.grant('u1', 'planner', ['openid', 'email'], T0);
    await store.refreshTokens.create(newToken('rt-1', 'u1', 'planner', { createdAt: T0 }));
    await store.refreshTokens.create(newToken('rt-2', 'u1', 'planner', { createdAt: T0 + MINUTE }));
    await store.refreshTokens.create(newToken('rt-wiki', 'u1', 'wiki', { createdAt: T0 }));
    await store.refreshTokens.create(newToken('rt-bob', 'u2', 'planner', { createdAt: T0 }));
    clock.advance(2 * MINUTE);

    expect(await removeClientAccess({ ...ctx, ip: '198.51.100.7' }, 'u1', 'planner', { actor: 'admin-1', kind: 'admin' })).toEqual({ consentRemoved: true, tokensRevoked: 2 });
    expect(await store.consents.find('u1', 'planner')).toBeNull();
    expect((await connectedApps(ctx, 'u1')).map((app) => app.client.clientId)).toEqual(['wiki']);
    expect((await connectedApps(ctx, 'u2')).map((app) => app.client.clientId)).toEqual(['planner']);
    const [event] = await store.audit.list({ limit: 1 });
    expect(event).toMatchObject({
      type: 'consent.revoked',
      actor: 'admin-1',
      subject: 'u1',
      clientId: 'planner',
      ip: '198.51.100.7',
      details: { client_id: 'planner', by: 'admin', consent: true, tokens_revoked: 2 },
    });
    await refused(() => removeClientAccess(ctx, 'u1', 'planner', SELF('u1')), NotFoundError, /has no access to this account/);
  });
});

describe('removing an application’s access on a running app: revoked tokens and back-channel logout', () => {
  let app: RunningApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let receivers: LogoutReceiver[] = [];
  let extraDeliveries: OwnBackchannel[] = [];
  let people = 0;

  async function receiver(): Promise<LogoutReceiver> {
    return receivers[receivers.push(await LogoutReceiver.start()) - 1] as LogoutReceiver;
  }

  function person(): Promise<UserRecord> {
    people += 1;
    return addUser(app, `person${people}@example.com`, { name: `Person ${people}` });
  }

  function application(name: string, at: LogoutReceiver | null): Promise<TestClient> {
    const slug = name.toLowerCase().replace(/\W+/g, '-');
    return addClient(app, { name, redirectUris: [`https://${slug}.example/cb`], ...(at ? { backchannelLogoutUri: at.url } : {}) });
  }

  const ctx = (sessionEnd: SessionTerminator = app.sessionEnd) => ({ ...manage(app), sessionEnd });

  /** What an application does with a logout token (§2.6): verified against the issuer's published keys. */
  async function verified(token: string, audience: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: app.config.issuer,
      audience,
      typ: 'logout+jwt',
      algorithms: ['RS256'],
      requiredClaims: ['iat', 'exp', 'jti', 'sub', 'events'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
    expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(payload).not.toHaveProperty('nonce');
    return payload;
  }

  async function auditOf(type: string, clientId: string, count = 1, timeoutMs = 5_000): Promise<AuditEventRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = (await app.store.audit.list({ limit: 1000 })).filter((event) => event.type === type && event.clientId === clientId);
      if (events.length >= count || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  beforeAll(async () => {
    app = await startApp();
    jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
  });
  afterEach(async () => {
    await Promise.all(extraDeliveries.map((own) => own.close()));
    extraDeliveries = [];
    await Promise.all(receivers.map((open) => open.close()));
    receivers = [];
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('tells an application the person is signed in to with sid and sub, kills its refresh and access tokens, and keeps the person signed in', async () => {
    const user = await person();
    const at = await receiver();
    const planner = await application('Planner', at);
    const browser = new Browser();
    const tokens = await tokensFor(app, planner, browser, 'openid email offline_access', user.email);
    const sid = String(decodeJwt(tokens.id_token).sid);
    // Refreshed once: the newest refresh token is the one that must die.
    const rotated = await refresh(app, planner, tokens.refresh_token);
    expect(rotated.status).toBe(200);
    const userinfo = () => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${rotated.json.access_token ?? ''}` } });
    expect((await userinfo()).status).toBe(200);
    const listed = await connectedApps(ctx(), user.id);
    expect(listed).toMatchObject([{ client: { clientId: planner.clientId }, holdsTokens: true, consentedAt: null }]);

    const removal = await removeClientAccess(ctx(), user.id, planner.clientId, SELF(user.id));
    expect(removal.consentRemoved).toBe(false);
    expect(removal.tokensRevoked).toBeGreaterThanOrEqual(2);

    const [request] = await at.waitFor(1);
    expect(request).toMatchObject({ method: 'POST', path: '/backchannel-logout', contentType: 'application/x-www-form-urlencoded' });
    expect(await verified(request?.logoutToken ?? '', planner.clientId)).toMatchObject({ iss: app.config.issuer, aud: planner.clientId, sub: user.id, sid });
    expect(await auditOf('logout.backchannel_delivered', planner.clientId)).toMatchObject([{ details: { client_id: planner.clientId, sid, attempts: 1, status: 200 } }]);

    // The newest refresh token is dead, and so is the access token.
    const dead = await refresh(app, planner, rotated.json.refresh_token ?? '');
    expect(dead.status).toBe(400);
    expect(dead.json.error).toBe('invalid_grant');
    expect((await userinfo()).status).toBe(401);
    expect(await connectedApps(ctx(), user.id)).toEqual([]);
    // They removed an application; they did not sign out.
    expect(await app.store.sessions.findLiveBySid(sid, Date.now())).not.toBeNull();
    expect(await auditOf('consent.revoked', planner.clientId)).toMatchObject([
      { actor: user.id, subject: user.id, details: { client_id: planner.clientId, by: 'self', consent: false, tokens_revoked: removal.tokensRevoked } },
    ]);
  });

  it('sends one sub-only logout token when the application took part in no live session of the person (an offline grant)', async () => {
    const user = await person();
    const at = await receiver();
    const planner = await application('Offline planner', at);
    const tokens = await tokensFor(app, planner, new Browser(), 'openid offline_access', user.email);
    // The session is gone (expired, say), the offline grant stays.
    const [session] = await app.store.sessions.listForUser(user.id, Date.now());
    await app.store.sessions.delete(session?.idHash ?? '');
    expect((await connectedApps(ctx(), user.id)).map((connected) => connected.client.clientId)).toEqual([planner.clientId]);

    await removeClientAccess(ctx(), user.id, planner.clientId, { actor: 'cli', kind: 'cli' });
    const [request] = await at.waitFor(1);
    const payload = await verified(request?.logoutToken ?? '', planner.clientId);
    expect(payload.sub).toBe(user.id);
    expect(payload).not.toHaveProperty('sid');
    expect((await refresh(app, planner, tokens.refresh_token)).status).toBe(400);
    const [delivered] = await auditOf('logout.backchannel_delivered', planner.clientId);
    expect(delivered?.details).toEqual({ client_id: planner.clientId, attempts: 1, status: 200, delivery_id: expect.stringMatching(/^msg_/) });
  });

  it('takes back a consent the person gave, telling the application with sub only; a second removal finds nothing and sends nothing', async () => {
    const user = await person();
    const at = await receiver();
    const { client } = await createClient(manage(app), { name: 'Third party', redirectUris: ['https://third.example/cb'], thirdParty: true, backchannelLogoutUri: at.url });
    await app.store.consents.grant(user.id, client.clientId, ['openid', 'email'], Date.now());
    expect(await removeClientAccess(ctx(), user.id, client.clientId, SELF(user.id))).toEqual({ consentRemoved: true, tokensRevoked: 0 });
    const [request] = await at.waitFor(1);
    expect(await verified(request?.logoutToken ?? '', client.clientId)).not.toHaveProperty('sid');
    expect(await app.store.consents.find(user.id, client.clientId)).toBeNull();

    const audited = (await app.store.audit.list({ limit: 1000 })).length;
    await expect(removeClientAccess(ctx(), user.id, client.clientId, SELF(user.id))).rejects.toThrow(NotFoundError);
    expect((await app.store.audit.list({ limit: 1000 })).length).toBe(audited);
    expect(at.received).toHaveLength(1);
  });

  it('leaves another person’s grant alone: naming an application they use is a NotFoundError, nothing sent, their token alive', async () => {
    const [owner, stranger] = [await person(), await person()];
    const at = await receiver();
    const wiki = await application('Shared wiki', at);
    const tokens = await tokensFor(app, wiki, new Browser(), 'openid offline_access', owner.email);
    await expect(removeClientAccess(ctx(), stranger.id, wiki.clientId, SELF(stranger.id))).rejects.toThrow(/has no access to this account/);
    expect(at.received).toEqual([]);
    expect((await refresh(app, wiki, tokens.refresh_token)).status).toBe(200);
  });

  it('revokes without sending anything when the application registered no back-channel logout URI', async () => {
    const user = await person();
    const quiet = await application('Quiet', null);
    const tokens = await tokensFor(app, quiet, new Browser(), 'openid offline_access', user.email);
    await removeClientAccess(ctx(), user.id, quiet.clientId, SELF(user.id));
    expect((await refresh(app, quiet, tokens.refresh_token)).status).toBe(400);
    // Nothing was even attempted: no delivery is pending, so none can be recorded later.
    expect((await app.store.audit.list({ limit: 1000 })).filter((event) => event.type.startsWith('logout.backchannel_') && event.clientId === quiet.clientId)).toEqual([]);
  });

  describe('the address rule of a dynamically registered application', () => {
    /** A dynamically registered client whose receiver is on loopback, and a consent of a new person to it. */
    async function dynamicApp(at: LogoutReceiver) {
      const user = await person();
      const config = { ...app.config, allowPrivateClientUrls: true };
      const { client } = await createClient(
        { ...manage(app), config },
        {
          name: `Registered ${randomId()}`,
          redirectUris: ['https://registered.example/cb'],
          origin: 'dynamic',
          backchannelLogoutUri: at.url,
        },
      );
      await app.store.consents.grant(user.id, client.clientId, ['openid'], Date.now());
      return { user, client };
    }

    function terminator(registrationAllowPrivateAddresses: boolean): SessionTerminator {
      const own = ownBackchannel(app, { sender: { allowPrivateAddresses: true, registrationAllowPrivateAddresses } });
      extraDeliveries.push(own);
      return own.sessionEnd;
    }

    it('refuses its private address unless REGISTRATION_ALLOW_PRIVATE_URLS allows it too (ALLOW_PRIVATE_CLIENT_URLS alone does not)', async () => {
      const at = await receiver();
      const { user, client } = await dynamicApp(at);
      await removeClientAccess(ctx(terminator(false)), user.id, client.clientId, SELF(user.id));
      expect(await auditOf('logout.backchannel_failed', client.clientId)).toMatchObject([{ details: { client_id: client.clientId, attempts: 1, reason: 'refused_address' } }]);
      expect(at.received).toEqual([]);
    });

    it('delivers to it when both allow private addresses', async () => {
      const at = await receiver();
      const { user, client } = await dynamicApp(at);
      await removeClientAccess(ctx(terminator(true)), user.id, client.clientId, SELF(user.id));
      const [request] = await at.waitFor(1);
      expect(await verified(request?.logoutToken ?? '', client.clientId)).toMatchObject({ sub: user.id });
    });
  });
});
