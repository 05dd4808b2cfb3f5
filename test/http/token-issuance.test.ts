// What a redeemed code yields (RFC 6749 §5.1, OIDC Core §3.1.3.3, §11, §12): the response's scope, whether a
// refresh token comes with it and how long it lives, the session's record of the client (for back-channel logout),
// and nothing at all for a user who may no longer sign in.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic, family, stored, tokenRequest, type TokenAnswer } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Issued {
  code: string;
  start: AuthorizationStart;
}

describe('tokens issued for a code (RFC 6749 §5.1, OIDC Core §3.1.3.3)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let user: UserRecord;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp({ clock });
    user = await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  async function code(forClient: TestClient, scope: string, email = 'ada@example.com'): Promise<Issued> {
    const start = await authorizationUrl(forClient, { scope });
    const callback = await signIn(new Browser(), app, start, email);
    return { code: callback.searchParams.get('code') ?? '', start };
  }

  const redeem = (forClient: TestClient, issued: Issued, extra: Record<string, string> = {}): Promise<TokenAnswer> =>
    tokenRequest(
      app,
      new URLSearchParams({ grant_type: 'authorization_code', code: issued.code, redirect_uri: forClient.redirectUri, code_verifier: issued.start.codeVerifier, ...extra }).toString(),
      { Authorization: basic(forClient.clientId, forClient.clientSecret ?? '') },
    );

  const userinfoStatus = async (accessToken: string) => (await fetch(`${app.url}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;

  it('answers with the whole granted scope, space-separated (RFC 6749 §5.1, §3.3)', async () => {
    const answer = await redeem(client, await code(client, 'openid email profile'));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.scope).toBe('openid email profile');
  });

  it("gives the refresh token the grant's absolute lifetime and, within it, the idle lifetime", async () => {
    const { refreshToken, refreshTokenIdle } = app.config.lifetimes;
    expect(refreshTokenIdle).toBeLessThan(refreshToken);
    const answer = await redeem(client, await code(client, 'openid offline_access'));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const record = await stored(app, answer.json.refresh_token ?? '');
    expect({ grantExpiresAt: record.grantExpiresAt, expiresAt: record.expiresAt }).toEqual({
      grantExpiresAt: clock.now() + refreshToken * 1000,
      expiresAt: clock.now() + refreshTokenIdle * 1000,
    });
  });

  it('issues no refresh token, even for offline_access, to a client not registered for the refresh_token grant', async () => {
    const noRefresh = await addClient(app, { name: 'No refresh', redirectUris: ['https://no-refresh.example/cb'] });
    await app.store.clients.update(noRefresh.clientId, { grantTypes: ['authorization_code'] }, clock.now());
    for (const scope of ['openid', 'openid offline_access']) {
      const issued = await code(noRefresh, scope);
      const answer = await redeem(noRefresh, issued);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(answer.json).not.toHaveProperty('refresh_token');
      const grantId = (await app.store.codes.find(hashSecret(issued.code)))?.grantId ?? '';
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 0 }, access: { live: 1, revoked: 0 } });
      expect(await userinfoStatus(answer.json.access_token ?? '')).toBe(200);
    }
  });

  it("records the client among the session's, for back-channel logout (Back-Channel Logout 1.0 §2.6)", async () => {
    const listed = await addClient(app, { name: 'Listed', redirectUris: ['https://listed.example/cb'] });
    const answer = await redeem(listed, await code(listed, 'openid'));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const sid = decodeJwt(answer.json.id_token ?? '').sid as string;
    expect(sid).toEqual(expect.any(String));
    expect(await app.store.sessions.clientsOf(sid)).toContain(listed.clientId);
  });

  it('answers invalid_grant to a code of a user disabled since it was issued, and issues nothing', async () => {
    const leaver = await addUser(app, 'leaver@example.com');
    const issued = await code(client, 'openid offline_access', 'leaver@example.com');
    await app.store.users.update(leaver.id, { disabled: true }, clock.now());
    const answer = await redeem(client, issued);
    expect({ status: answer.status, error: answer.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(answer.json.error_description).toMatch(/user can no longer sign in/);
    const grantId = (await app.store.codes.find(hashSecret(issued.code)))?.grantId ?? '';
    expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 0 }, access: { live: 0, revoked: 0 } });
  });

  describe('a code minted without a session (OIDC Core §11: a refresh token is bound to a session or to offline_access)', () => {
    /** A code row as the store accepts it with no session: no sid, no session hash, no PKCE challenge. */
    async function sessionlessCode(scope: string): Promise<string> {
      const codeValue = randomSecret();
      const now = clock.now();
      await app.store.codes.create({
        codeHash: hashSecret(codeValue),
        grantId: randomId(),
        clientId: client.clientId,
        userId: user.id,
        sessionIdHash: null,
        sid: null,
        resources: [],
        amr: ['pwd'],
        redirectUri: client.redirectUri,
        scope,
        nonce: null,
        codeChallenge: null,
        codeChallengeMethod: null,
        authTime: now,
        createdAt: now,
        expiresAt: now + 60_000,
      });
      return codeValue;
    }

    const redeemSessionless = (codeValue: string) =>
      tokenRequest(app, new URLSearchParams({ grant_type: 'authorization_code', code: codeValue, redirect_uri: client.redirectUri }).toString(), {
        Authorization: basic(client.clientId, client.clientSecret ?? ''),
      });

    it('is redeemed, with no sid and no refresh token when offline_access was not granted', async () => {
      const answer = await redeemSessionless(await sessionlessCode('openid'));
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(answer.json).not.toHaveProperty('refresh_token');
      expect(decodeJwt(answer.json.id_token ?? '')).not.toHaveProperty('sid');
      expect(await userinfoStatus(answer.json.access_token ?? '')).toBe(200);
    });

    it('gets an offline refresh token when offline_access was granted', async () => {
      const answer = await redeemSessionless(await sessionlessCode('openid offline_access'));
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect((await stored(app, answer.json.refresh_token ?? '')).sessionIdHash).toBeNull();
    });
  });
});
