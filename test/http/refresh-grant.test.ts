import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteUser, setDisabled } from '../../src/manage/users.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { basic, expectRefused, family, refresh, stored, tokenRequest, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const IDLE = 4 * HOUR;
const ABSOLUTE = 10 * HOUR;

describe('refresh token grant (RFC 6749 §6, OIDC Core §12)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let ada: UserRecord;

  const tokens = (scope = 'openid email profile', email = 'ada@example.com') => tokensFor(app, client, new Browser(), scope, email);
  const userinfo = (accessToken: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  const manage = () => ({ store: app.store, clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', sessionEnd: app.sessionEnd });

  beforeAll(async () => {
    app = await startApp({ clock, env: { REFRESH_TOKEN_IDLE_TTL: String(IDLE / 1000), REFRESH_TOKEN_TTL: String(ABSOLUTE / 1000) } });
    ada = await addUser(app);
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
  });
  afterAll(() => app.stop());

  describe('successful refresh (RFC 6749 §5.1, OIDC Core §12.2)', () => {
    it('answers with new access, ID and refresh tokens of type Bearer that no cache may keep', async () => {
      const first = await tokens();
      const answer = await refresh(app, client, first.refresh_token);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(answer.headers.get('pragma')).toBe('no-cache');
      expect(answer.json).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'openid email profile' });
      expect(answer.json.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const name of ['access_token', 'id_token', 'refresh_token'] as const) expect(answer.json[name]).not.toBe(first[name]);
      expect(((await (await userinfo(answer.json.access_token ?? '')).json()) as { sub: string }).sub).toBe(ada.id);
    });

    it('issues an ID token with the same iss, sub, aud, azp, auth_time, sid and amr, a later iat and no nonce, signed by a key of the JWKS', async () => {
      const first = await tokens();
      const before = decodeJwt(first.id_token);
      clock.advance(5 * MINUTE);
      const answer = await refresh(app, client, first.refresh_token);
      const { payload } = await jwtVerify(answer.json.id_token ?? '', createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`)), {
        issuer: app.config.issuer,
        audience: client.clientId,
        currentDate: new Date(clock.now()),
      });
      const kept = (claims: typeof payload) => [claims.iss, claims.sub, claims.aud, claims.azp, claims.auth_time, claims.sid, claims.amr];
      expect(kept(payload)).toEqual(kept(before));
      expect(payload.sub).toBe(ada.id);
      expect(payload.iat).toBe((before.iat ?? 0) + 300);
      expect(payload).not.toHaveProperty('nonce');
    });

    it('spends the presented refresh token: it is marked rotated, and its successor carries the grant on', async () => {
      const first = await tokens();
      const answer = await refresh(app, client, first.refresh_token);
      const spent = await stored(app, first.refresh_token);
      expect(spent.rotatedAt).toBe(clock.now());
      expect((await stored(app, answer.json.refresh_token ?? '')).grantId).toBe(spent.grantId);
      expect((await refresh(app, client, answer.json.refresh_token ?? '')).status).toBe(200);
    });
  });

  describe('rotation and reuse detection (RFC 9700 §4.14.2)', () => {
    it('answers invalid_grant to a second use of a refresh token and revokes the whole family, audited without the token', async () => {
      const first = await tokens();
      const { grantId } = await stored(app, first.refresh_token);
      const second = await refresh(app, client, first.refresh_token);
      expect(second.status).toBe(200);
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token has already been used');
      expectRefused(await refresh(app, client, second.json.refresh_token ?? ''), 'invalid_grant', 'the refresh token has been revoked');
      for (const accessToken of [first.access_token, second.json.access_token ?? '']) expect((await userinfo(accessToken)).status).toBe(401);
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
      const [event] = await app.store.audit.list({ limit: 1 });
      expect(event).toMatchObject({ type: 'refresh_token.reused', actor: client.clientId, subject: ada.id, details: { client_id: client.clientId, grant_id: grantId } });
      const written = JSON.stringify([event, app.logs]);
      for (const token of [first.refresh_token, second.json.refresh_token ?? '']) expect(written).not.toContain(token);
    });

    it('lets exactly one of two concurrent refreshes with one token succeed, and the loser revokes the family', async () => {
      for (let round = 0; round < 3; round++) {
        const first = await tokens();
        const { grantId } = await stored(app, first.refresh_token);
        const answers = await Promise.all([refresh(app, client, first.refresh_token), refresh(app, client, first.refresh_token)]);
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
        expectRefused(answers.find((answer) => answer.status === 400) ?? answers[0]!, 'invalid_grant', 'the refresh token has already been used');
        expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
      }
    });

    it('lets the atomic rotation decide when both refreshes pass every check before either rotates, and treats the loser as reuse', async () => {
      const first = await tokens();
      const { grantId } = await stored(app, first.refresh_token);
      // Hold each request at its user lookup (after the token was found unrotated) until both are there.
      const users = app.store.users;
      const findById = users.findById;
      let release!: () => void;
      const bothChecked = new Promise<void>((resolve) => (release = resolve));
      let waiting = 0;
      users.findById = async (id) => {
        if (++waiting === 2) release();
        await bothChecked;
        return findById.call(users, id);
      };
      try {
        const answers = await Promise.all([refresh(app, client, first.refresh_token), refresh(app, client, first.refresh_token)]);
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
        expectRefused(answers.find((answer) => answer.status === 400) ?? answers[0]!, 'invalid_grant', 'the refresh token has already been used');
      } finally {
        users.findById = findById;
      }
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
      expect((await app.store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'refresh_token.reused', details: { grant_id: grantId } });
    });

    it('answers invalid_grant to a refresh token presented by another client, and revokes its family since it has leaked', async () => {
      const first = await tokens();
      const { grantId } = await stored(app, first.refresh_token);
      expectRefused(await refresh(app, other, first.refresh_token), 'invalid_grant', 'the refresh token was issued to another client');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 1 }, access: { live: 0, revoked: 1 } });
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
    });
  });

  describe('scope (RFC 6749 §6)', () => {
    it('narrows the access token, ID token and response to a requested subset, while the new refresh token keeps the full scope', async () => {
      const first = await tokens('openid email profile');
      const narrowed = await refresh(app, client, first.refresh_token, { scope: 'email openid' });
      expect(narrowed.json.scope).toBe('openid email');
      expect(decodeJwt(narrowed.json.access_token ?? '').scope).toBe('openid email');
      expect(decodeJwt(narrowed.json.id_token ?? '')).not.toHaveProperty('name');
      expect(await (await userinfo(narrowed.json.access_token ?? '')).json()).toEqual({ sub: ada.id, email: 'ada@example.com', email_verified: false });
      expect((await stored(app, narrowed.json.refresh_token ?? '')).scope).toBe('openid email profile');
      const full = await refresh(app, client, narrowed.json.refresh_token ?? '');
      expect([full.status, full.json.scope]).toEqual([200, 'openid email profile']);
    });

    it('answers invalid_scope to a scope the refresh token was not granted, and rotates nothing', async () => {
      const first = await tokens('openid email');
      const { grantId } = await stored(app, first.refresh_token);
      const widened = await refresh(app, client, first.refresh_token, { scope: 'openid email profile' });
      expectRefused(widened, 'invalid_scope', 'scope profile was not granted to this refresh token');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 1, rotated: 0, revoked: 0 }, access: { live: 1, revoked: 0 } });
      expect((await refresh(app, client, first.refresh_token)).status).toBe(200);
    });

    it('answers invalid_scope to a scope without openid or a malformed scope, and rotates nothing', async () => {
      const first = await tokens();
      const { grantId } = await stored(app, first.refresh_token);
      expectRefused(await refresh(app, client, first.refresh_token, { scope: 'email' }), 'invalid_scope', 'scope must include openid: a refresh keeps the OpenID Connect grant');
      expectRefused(await refresh(app, client, first.refresh_token, { scope: 'openid  email' }), 'invalid_scope', 'scope is malformed');
      expect((await family(app, grantId)).refresh).toEqual({ live: 1, rotated: 0, revoked: 0 });
    });
  });

  describe('the person behind the grant', () => {
    it('answers invalid_grant once the user is disabled', async () => {
      await addUser(app, 'grace@example.com');
      const first = await tokens('openid offline_access', 'grace@example.com');
      const { grantId } = await stored(app, first.refresh_token);
      await setDisabled(manage(), 'grace@example.com', true);
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
      expect((await family(app, grantId)).refresh.live).toBe(0);
    });

    it('answers invalid_grant to a user disabled behind its back (in the store) and revokes the family, which stays revoked after re-enabling', async () => {
      const user = await addUser(app, 'linus@example.com');
      const first = await tokens('openid offline_access', 'linus@example.com');
      const { grantId } = await stored(app, first.refresh_token);
      await app.store.users.update(user.id, { disabled: true }, clock.now());
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the user can no longer sign in');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 1 }, access: { live: 0, revoked: 1 } });
      await app.store.users.update(user.id, { disabled: false }, clock.now());
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
    });

    it('answers invalid_grant to the refresh token of a deleted user, whose tokens went with them', async () => {
      await addUser(app, 'alan@example.com');
      const first = await tokens('openid offline_access', 'alan@example.com');
      const { grantId } = await stored(app, first.refresh_token);
      await deleteUser(manage(), 'alan@example.com');
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token is invalid');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 0 }, access: { live: 0, revoked: 0 } });
    });
  });

  describe('lifetimes (RFC 9700 §4.14.2)', () => {
    it('answers invalid_grant to a refresh token left unused past REFRESH_TOKEN_IDLE_TTL, and rotates nothing', async () => {
      const first = await tokens('openid offline_access');
      clock.advance(IDLE - MINUTE);
      const kept = await refresh(app, client, first.refresh_token);
      expect(kept.status).toBe(200);
      clock.advance(IDLE);
      expectRefused(await refresh(app, client, kept.json.refresh_token ?? ''), 'invalid_grant', 'the refresh token has expired');
      expect((await stored(app, kept.json.refresh_token ?? '')).rotatedAt).toBeNull();
    });

    it('ends the grant at REFRESH_TOKEN_TTL however often it is rotated: rotation keeps the absolute end', async () => {
      let current: string = (await tokens('openid offline_access')).refresh_token;
      const grantEnd = (await stored(app, current)).grantExpiresAt;
      expect(grantEnd).toBe(clock.now() + ABSOLUTE);
      for (let step = 0; step < 3; step++) {
        clock.advance(3 * HOUR);
        const answer = await refresh(app, client, current);
        expect(answer.status, JSON.stringify(answer.json)).toBe(200);
        current = answer.json.refresh_token ?? '';
        const record = await stored(app, current);
        expect([record.grantExpiresAt, record.expiresAt]).toEqual([grantEnd, Math.min(grantEnd, clock.now() + IDLE)]);
      }
      clock.advance(HOUR);
      expectRefused(await refresh(app, client, current), 'invalid_grant', 'the refresh token has expired');
    });
  });

  describe('session binding (OIDC Core §11)', () => {
    it('stops a refresh token without offline_access when its session ends, while an offline_access token of the same session goes on', async () => {
      const browser = new Browser();
      const bound = await tokensFor(app, client, browser, 'openid email');
      const offline = await tokensFor(app, client, browser, 'openid offline_access');
      const { sessionIdHash } = await stored(app, bound.refresh_token);
      expect((await stored(app, offline.refresh_token)).sessionIdHash).toBe(sessionIdHash);
      const session = (await app.store.sessions.listForUser(ada.id, clock.now())).find((s) => s.idHash === sessionIdHash);
      await app.sessionEnd.end(session!, { reason: 'logout', actor: 'test', keepOffline: true });
      expectRefused(await refresh(app, client, bound.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
      const answer = await refresh(app, client, offline.refresh_token);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(decodeJwt(answer.json.id_token ?? '').sid).toBe(decodeJwt(offline.id_token).sid);
    });

    it('stops a refresh token without offline_access once its session idles out, and rotates nothing', async () => {
      const first = await tokens('openid');
      clock.advance(app.config.lifetimes.sessionIdle * 1000 + MINUTE);
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the sign-in session of the refresh token has ended');
      expect((await stored(app, first.refresh_token)).rotatedAt).toBeNull();
    });

    it('keeps the sign-in session from idling out while the application refreshes', async () => {
      const first: Tokens = await tokens('openid');
      const { sessionIdHash } = await stored(app, first.refresh_token);
      const idle = app.config.lifetimes.sessionIdle * 1000;
      clock.advance(idle - MINUTE);
      const again = await refresh(app, client, first.refresh_token);
      expect(again.status).toBe(200);
      expect((await app.store.sessions.findLive(sessionIdHash ?? '', clock.now()))?.lastSeenAt).toBe(clock.now());
      clock.advance(idle - MINUTE);
      expect((await refresh(app, client, again.json.refresh_token ?? '')).status).toBe(200);
    });
  });

  describe('token endpoint errors (RFC 6749 §5.2)', () => {
    const auth = () => ({ Authorization: basic(client.clientId, client.clientSecret ?? '') });

    it('answers invalid_request when refresh_token is missing or sent twice, and rotates nothing', async () => {
      const first = await tokens();
      expectRefused(await tokenRequest(app, 'grant_type=refresh_token', auth()), 'invalid_request', 'refresh_token is missing');
      const twice = `grant_type=refresh_token&refresh_token=${first.refresh_token}&refresh_token=${first.refresh_token}`;
      expectRefused(await tokenRequest(app, twice, auth()), 'invalid_request', 'refresh_token is included more than once');
      expect((await stored(app, first.refresh_token)).rotatedAt).toBeNull();
    });

    it('answers invalid_grant to an unknown refresh token', async () => {
      expectRefused(await refresh(app, client, 'x'.repeat(43)), 'invalid_grant', 'the refresh token is invalid');
    });

    it('answers unauthorized_client to a client not allowed the refresh_token grant, before touching the token', async () => {
      const codeOnly = await addClient(app, { name: 'Code only', redirectUris: ['https://code-only.example/cb'] });
      await app.store.clients.update(codeOnly.clientId, { grantTypes: ['authorization_code'] }, clock.now());
      const first = await tokens();
      const { grantId } = await stored(app, first.refresh_token);
      expectRefused(await refresh(app, codeOnly, first.refresh_token), 'unauthorized_client', 'this client may not use grant_type refresh_token');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 1, rotated: 0, revoked: 0 }, access: { live: 1, revoked: 0 } });
    });

    it('advertises refresh_token in grant_types_supported (OIDC Discovery §3)', async () => {
      const metadata = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
      expect(metadata.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);
    });
  });
});

describe('refresh token grant with a relying-party library (openid-client)', () => {
  let app: RunningApp;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('refreshes with refreshTokenGrant, narrows the scope on request, and refuses the spent token with invalid_grant', async () => {
    const start = await authorizationUrl(client, { scope: 'openid email profile offline_access' });
    const first = await redeem(client, await signIn(new Browser(), app, start, 'ada@example.com'), start);
    const sub = first.claims()?.sub;
    const refreshed = await oidc.refreshTokenGrant(client.config, first.refresh_token ?? '', { scope: 'openid email' });
    expect([refreshed.claims()?.sub, refreshed.scope, refreshed.token_type]).toEqual([sub, 'openid email', 'bearer']);
    expect(await oidc.fetchUserInfo(client.config, refreshed.access_token, sub ?? '')).toEqual({ sub, email: 'ada@example.com', email_verified: false });
    const again = await oidc.refreshTokenGrant(client.config, refreshed.refresh_token ?? '');
    expect(again.scope).toBe('openid email profile offline_access');
    await expect(oidc.refreshTokenGrant(client.config, first.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });
});
