import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, redeemRaw, signIn, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('UserInfo endpoint (OIDC Core §5.3, RFC 6750)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let user: UserRecord;
  let url: string;

  async function tokens(email = 'ada@example.com', scope = 'openid email profile'): Promise<{ access_token: string; id_token: string }> {
    const start = await authorizationUrl(client, { scope });
    const callback = await signIn(new Browser(), app, start, email);
    return (await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start)) as { access_token: string; id_token: string };
  }

  const bearer = (token: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });

  async function expectInvalidToken(response: Response): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    url = `${app.config.issuer}/userinfo`;
    user = await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('answers GET with a Bearer header: sub and the claims of the granted scopes, not cached', async () => {
    const response = await bearer((await tokens()).access_token, { headers: { Origin: 'https://spa.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual({ sub: user.id, name: 'Ada Lovelace', email: 'ada@example.com', email_verified: false });
  });

  it('releases only sub for scope openid alone', async () => {
    expect(await (await bearer((await tokens('ada@example.com', 'openid')).access_token)).json()).toEqual({ sub: user.id });
  });

  it('answers POST with the token in the header or in the form body (RFC 6750 §2.2)', async () => {
    const { access_token } = await tokens();
    expect((await bearer(access_token, { method: 'POST' })).status).toBe(200);
    expect(((await (await form({ access_token })).json()) as { sub: string }).sub).toBe(user.id);
  });

  it('refuses a token sent two ways at once with invalid_request', async () => {
    const { access_token } = await tokens();
    const response = await form({ access_token }, { Authorization: `Bearer ${access_token}` });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers a request without a token with a bare Bearer challenge', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
  });

  it('refuses garbage, an ID token, and a token signed by a key that is not ours', async () => {
    const { id_token } = await tokens();
    const { privateKey } = await generateKeyPair('RS256');
    const foreign = await new SignJWT({ sub: user.id, scope: 'openid', jti: 'x', client_id: client.clientId })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: app.keyRing.signingKey.kid })
      .setIssuer(app.config.issuer).setAudience(url).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    for (const token of ['garbage', id_token, foreign]) await expectInvalidToken(await bearer(token));
  });

  it('refuses an expired token', async () => {
    const { access_token } = await tokens();
    clock.advance(11 * 60_000);
    await expectInvalidToken(await bearer(access_token));
  });

  it('refuses the token of a user disabled afterwards', async () => {
    const leaver = await addUser(app, 'leaver@example.com');
    const { access_token } = await tokens('leaver@example.com');
    expect((await bearer(access_token)).status).toBe(200);
    await app.store.users.update(leaver.id, { disabled: true }, clock.now());
    await expectInvalidToken(await bearer(access_token));
  });
});
