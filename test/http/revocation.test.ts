// Token revocation (RFC 7009) over real HTTP: what each revocation kills, what it leaves alone, and who may ask.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, signIn, type TestClient } from '../helpers/oidc.js';
import { basic, refresh, stored, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

describe('token revocation (RFC 7009)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let spa: TestClient;

  async function revoke(fields: Record<string, string>, authorization?: string): Promise<Answer> {
    const response = await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(authorization ? { Authorization: authorization } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  const asClient = (c: TestClient) => basic(c.clientId, c.clientSecret ?? '');
  const tokens = (c: TestClient = client, scope = 'openid offline_access'): Promise<Tokens> => tokensFor(app, c, new Browser(), scope);
  const userinfo = (accessToken: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } }).then((r) => r.status);

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
    spa = await addClient(app, { name: 'SPA', redirectUris: ['https://spa.example/'], isPublic: true });
  });
  afterAll(() => app.stop());

  it('revokes a refresh token with its whole grant: the refresh token and the grant’s access tokens stop working (§2.1)', async () => {
    const issued = await tokens();
    const answer = await revoke({ token: issued.refresh_token, token_type_hint: 'refresh_token' }, asClient(client));
    expect([answer.status, answer.body]).toEqual([200, '']);
    expect((await refresh(app, client, issued.refresh_token)).json.error).toBe('invalid_grant');
    expect(await userinfo(issued.access_token)).toBe(401);
    const events = await app.store.audit.list({ limit: 5 });
    expect(events[0]).toMatchObject({ type: 'token.revoked', actor: client.clientId, details: { token_type: 'refresh_token' } });
    expect(JSON.stringify(events[0])).not.toContain(issued.refresh_token);
  });

  it('revokes an access token alone, leaving the refresh token usable', async () => {
    const issued = await tokens();
    expect((await revoke({ token: issued.access_token }, asClient(client))).status).toBe(200);
    expect(await userinfo(issued.access_token)).toBe(401);
    expect((await refresh(app, client, issued.refresh_token)).status).toBe(200);
  });

  it('finds the token whatever token_type_hint says, including a hint it does not know', async () => {
    const issued = await tokens();
    expect((await revoke({ token: issued.refresh_token, token_type_hint: 'access_token' }, asClient(client))).status).toBe(200);
    expect((await stored(app, issued.refresh_token)).revokedAt).not.toBeNull();
    expect((await revoke({ token: issued.access_token, token_type_hint: 'something_else' }, asClient(client))).status).toBe(200);
  });

  it('refuses with unauthorized_client to revoke another client’s token, and revokes nothing', async () => {
    const issued = await tokens();
    for (const token of [issued.refresh_token, issued.access_token]) {
      const answer = await revoke({ token }, asClient(other));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ error: 'unauthorized_client', error_description: 'the token was not issued to this client' });
    }
    expect(await userinfo(issued.access_token)).toBe(200);
    expect((await stored(app, issued.refresh_token)).revokedAt).toBeNull();
  });

  it('answers 200 to unknown, malformed, forged, expired and already revoked tokens (§2.2)', async () => {
    const issued = await tokens();
    const [header, payload] = issued.access_token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(342)}`;
    for (const token of ['no-such-token', 'a.b.c', forged]) expect((await revoke({ token }, asClient(client))).status).toBe(200);
    expect((await revoke({ token: issued.refresh_token }, asClient(client))).status).toBe(200);
    expect((await revoke({ token: issued.refresh_token }, asClient(client))).status).toBe(200);
    clock.advance(3600_000);
    expect((await revoke({ token: issued.access_token }, asClient(client))).status).toBe(200);
  });

  it('requires the token parameter, once', async () => {
    const missing = await revoke({}, asClient(client));
    expect([missing.status, JSON.parse(missing.body)]).toEqual([400, { error: 'invalid_request', error_description: 'token is missing' }]);
    const response = await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: asClient(client) },
      body: 'token=a&token=b',
    });
    expect([response.status, ((await response.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
  });

  it('authenticates the client first: no or wrong credentials get 401 invalid_client, with a Basic challenge when Basic was used', async () => {
    const issued = await tokens();
    const none = await revoke({ token: issued.refresh_token });
    expect([none.status, JSON.parse(none.body).error]).toEqual([401, 'invalid_client']);
    const wrong = await revoke({ token: issued.refresh_token }, basic(client.clientId, 'wrong-secret'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
    expect((await stored(app, issued.refresh_token)).revokedAt).toBeNull();
  });

  it('lets a public client revoke its own token with its client_id alone', async () => {
    const start = await authorizationUrl(spa, { scope: 'openid offline_access' });
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    const response = await fetch(`${app.config.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', client_id: spa.clientId, code: callback.searchParams.get('code') ?? '',
        redirect_uri: spa.redirectUri, code_verifier: start.codeVerifier,
      }).toString(),
    });
    const issued = (await response.json()) as Tokens;
    expect(issued.refresh_token, JSON.stringify(issued)).toEqual(expect.any(String));
    expect((await revoke({ token: issued.refresh_token, client_id: spa.clientId })).status).toBe(200);
    expect((await stored(app, issued.refresh_token)).revokedAt).not.toBeNull();
  });

  it('is used by openid-client, a certified relying-party library', async () => {
    const live = await startApp();
    try {
      await addUser(live);
      const rp = await addClient(live);
      const issued = await tokensFor(live, rp, new Browser(), 'openid offline_access');
      await oidc.tokenRevocation(rp.config, issued.refresh_token);
      expect((await stored(live, issued.refresh_token)).revokedAt).not.toBeNull();
    } finally {
      await live.stop();
    }
  });
});
