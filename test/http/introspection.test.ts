// Token introspection (RFC 7662) over real HTTP: a client learns whether its own tokens are active, and
// nothing at all about anyone else's.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDisabled } from '../../src/manage/users.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { basic, refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('token introspection (RFC 7662)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;

  async function introspect(token: string, as: TestClient = client, extra: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const response = await fetch(`${app.config.issuer}/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(as.clientId, as.clientSecret ?? '') },
      body: new URLSearchParams({ token, ...extra }).toString(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return (await response.json()) as Record<string, unknown>;
  }

  const tokens = (email = 'ada@example.com'): Promise<Tokens> => tokensFor(app, client, new Browser(), 'openid email offline_access', email);
  const seconds = () => Math.floor(clock.now() / 1000);

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app, 'ada@example.com');
    await addUser(app, 'grace@example.com');
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
  });
  afterAll(() => app.stop());

  it('describes an active access token: scope, client_id, sub, exp, iat, iss, aud, jti and token_type (§2.2)', async () => {
    const issued = await tokens();
    const answer = await introspect(issued.access_token);
    const users = await app.store.users.findByEmail('ada@example.com');
    expect(answer).toEqual({
      active: true,
      scope: 'openid email offline_access',
      client_id: client.clientId,
      sub: users?.id,
      exp: seconds() + app.config.lifetimes.accessToken,
      iat: seconds(),
      iss: app.config.issuer,
      aud: `${app.config.issuer}/userinfo`,
      jti: expect.any(String),
      token_type: 'Bearer',
      auth_time: seconds(),
    });
  });

  it('describes an active refresh token', async () => {
    const issued = await tokens();
    expect(await introspect(issued.refresh_token, client, { token_type_hint: 'refresh_token' })).toEqual({
      active: true,
      scope: 'openid email offline_access',
      client_id: client.clientId,
      sub: expect.any(String),
      exp: seconds() + app.config.lifetimes.refreshTokenIdle,
      iat: seconds(),
      iss: app.config.issuer,
      token_type: 'refresh_token',
    });
  });

  it('answers only {"active": false} for another client’s tokens', async () => {
    const issued = await tokens();
    expect(await introspect(issued.access_token, other)).toEqual({ active: false });
    expect(await introspect(issued.refresh_token, other)).toEqual({ active: false });
  });

  it('answers {"active": false} for unknown, malformed and forged tokens', async () => {
    const issued = await tokens();
    const [header, payload] = issued.access_token.split('.');
    for (const token of ['no-such-token', 'x.y.z', `${header}.${payload}.${'A'.repeat(342)}`, issued.id_token]) {
      expect(await introspect(token)).toEqual({ active: false });
    }
  });

  it('answers {"active": false} once a token is revoked, and for a rotated refresh token', async () => {
    const issued = await tokens();
    const rotated = await refresh(app, client, issued.refresh_token);
    expect(rotated.status).toBe(200);
    expect(await introspect(issued.refresh_token)).toEqual({ active: false });
    expect((await introspect(rotated.json.refresh_token ?? '')).active).toBe(true);
    await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret ?? '') },
      body: new URLSearchParams({ token: rotated.json.refresh_token ?? '' }).toString(),
    });
    expect(await introspect(rotated.json.refresh_token ?? '')).toEqual({ active: false });
    expect(await introspect(rotated.json.access_token ?? '')).toEqual({ active: false });
  });

  it('answers {"active": false} for an access token past its expiry', async () => {
    const issued = await tokens();
    clock.advance(app.config.lifetimes.accessToken * 1000);
    expect(await introspect(issued.access_token)).toEqual({ active: false });
    expect((await introspect(issued.refresh_token)).active).toBe(true);
  });

  it('answers {"active": false} for every token of a disabled user', async () => {
    const issued = await tokens('grace@example.com');
    await setDisabled({ store: app.store, clock: app.clock, passwordMinLength: 15, actor: 'test' }, 'grace@example.com', true);
    expect(await introspect(issued.access_token)).toEqual({ active: false });
    expect(await introspect(issued.refresh_token)).toEqual({ active: false });
  });

  it('requires client authentication and the token parameter', async () => {
    const anonymous = await fetch(`${app.config.issuer}/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    expect([anonymous.status, ((await anonymous.json()) as { error: string }).error]).toEqual([401, 'invalid_client']);
    const missing = await fetch(`${app.config.issuer}/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret ?? '') },
      body: '',
    });
    expect([missing.status, await missing.json()]).toEqual([400, { error: 'invalid_request', error_description: 'token is missing' }]);
  });

  it('is read by openid-client, a certified relying-party library', async () => {
    const live = await startApp();
    try {
      await addUser(live);
      const rp = await addClient(live);
      const issued = await tokensFor(live, rp, new Browser(), 'openid offline_access');
      const answer = await oidc.tokenIntrospection(rp.config, issued.access_token);
      expect(answer).toMatchObject({ active: true, client_id: rp.clientId, token_type: 'Bearer' });
    } finally {
      await live.stop();
    }
  });
});
