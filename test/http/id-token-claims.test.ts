// The ID token's claims as a relying party reads them (OIDC Core §2, §3.1.3.6, §12.2): times in seconds from the
// server's clock, the nonce echoed, and no sid, amr or acr for a grant that has none (a refresh token recorded
// before sessions had a public id: migration 0002 left its sid NULL and its amr '[]').
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, redeemRaw, signIn, type TestClient } from '../helpers/oidc.js';
import { refresh } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

describe('ID token claims (OIDC Core §2)', () => {
  // Not on a whole second, so that a time in milliseconds or rounded up cannot pass for seconds.
  const clock = new FakeClock(1_800_000_000_750);
  let app: RunningApp;
  let client: TestClient;
  let ada: UserRecord;

  beforeAll(async () => {
    app = await startApp({ clock });
    ada = await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('gives iat, exp and auth_time in seconds: iat when the code was redeemed, exp ID_TOKEN_TTL later, auth_time when the person signed in', async () => {
    const signedInAt = clock.now();
    const start = await authorizationUrl(client, { scope: 'openid' });
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    clock.advance(30_500);
    const answer = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    const claims = decodeJwt(answer.id_token ?? '');
    expect({ iat: claims.iat, exp: claims.exp, auth_time: claims.auth_time }).toEqual({
      iat: seconds(clock.now()),
      exp: seconds(clock.now()) + app.config.lifetimes.idToken,
      auth_time: seconds(signedInAt),
    });
  });

  it('echoes the nonce of the authorization request (§3.1.3.6)', async () => {
    const start = await authorizationUrl(client, { scope: 'openid' });
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    const answer = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    expect(decodeJwt(answer.id_token ?? '').nonce).toBe(start.nonce);
  });

  it('leaves sid, amr and acr out for a grant recorded without a session id or authentication methods, rather than sending null or an empty list', async () => {
    const token = randomSecret();
    const now = clock.now();
    await app.store.refreshTokens.create({
      tokenHash: hashSecret(token),
      grantId: randomId(),
      clientId: client.clientId,
      userId: ada.id,
      sessionIdHash: null,
      sid: null,
      resources: [],
      amr: [],
      scope: 'openid offline_access',
      authTime: now,
      createdAt: now,
      expiresAt: now + 3_600_000,
      grantExpiresAt: now + 3_600_000,
      kid: app.keyRing.signingKey.kid,
    });
    const answer = await refresh(app, client, token);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const claims = decodeJwt(answer.json.id_token ?? '');
    expect(claims).toMatchObject({ sub: ada.id, aud: client.clientId });
    expect(Object.keys(claims).filter((name) => ['sid', 'amr', 'acr', 'nonce'].includes(name))).toEqual([]);
  });
});
