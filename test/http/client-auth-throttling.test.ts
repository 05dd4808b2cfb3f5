// Throttling of client authentication at the token endpoint (and at revocation and introspection, which
// authenticate clients the same way): 5 failures per client id in 15 minutes, then a doubling backoff; 100
// failures an hour per client address. A throttled client gets 429 with Retry-After before its secret is
// looked at, so that guessing a secret gains nothing (RFC 6749 §2.3.1 asks servers to protect against it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, type TestClient } from '../helpers/oidc.js';
import { basic, tokenRequest } from '../helpers/refresh.js';
import { post } from '../helpers/tokens.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const GRANT = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'not-a-real-refresh-token' }).toString();

describe('client authentication throttling at the token endpoint', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let address = 0;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock, env: { TRUST_PROXY: 'loopback' } });
  });

  afterAll(async () => {
    await app.stop();
  });

  const from = (ip: string, headers: Record<string, string>) => ({ ...headers, 'X-Forwarded-For': ip });

  it('refuses a client with 429 and Retry-After after 5 wrong secrets, even when the sixth is right', async () => {
    const client: TestClient = await addClient(app);
    const ip = `198.18.0.${++address}`;
    for (let i = 0; i < 5; i++) {
      const answer = await tokenRequest(app, GRANT, from(ip, { Authorization: basic(client.clientId, 'wrong-secret') }));
      expect(answer.status, `attempt ${i + 1}`).toBe(401);
      expect(answer.json.error).toBe('invalid_client');
    }
    const throttled = await tokenRequest(app, GRANT, from(ip, { Authorization: basic(client.clientId, client.clientSecret ?? '') }));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('60');
    expect(throttled.json).toEqual({ error: 'invalid_client', error_description: 'too many failed client authentications; try again in 60 seconds' });
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'client_auth.throttled' } });
    expect(event).toMatchObject({ clientId: client.clientId, ip, outcome: 'failure', details: { by: 'account', retry_after: 60 } });

    // From another address too: the client id itself is throttled.
    const elsewhere = await tokenRequest(app, GRANT, from(`198.18.1.${address}`, { Authorization: basic(client.clientId, client.clientSecret ?? '') }));
    expect(elsewhere.status).toBe(429);

    // After the minute the right secret authenticates (the grant itself is then refused), and the count is forgotten.
    clock.advance(MINUTE);
    const served = await tokenRequest(app, GRANT, from(ip, { Authorization: basic(client.clientId, client.clientSecret ?? '') }));
    expect(served.status).toBe(400);
    expect(served.json.error).toBe('invalid_grant');
    for (let i = 0; i < 4; i++) expect((await tokenRequest(app, GRANT, from(ip, { Authorization: basic(client.clientId, 'wrong') }))).status).toBe(401);
  });

  it('throttles client_secret_post, revocation and introspection on the same counter', async () => {
    const client = await addClient(app);
    const ip = `198.18.0.${++address}`;
    const wrong = { client_id: client.clientId, client_secret: 'wrong-secret' };
    expect((await tokenRequest(app, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', ...wrong }).toString(), from(ip, {}))).status).toBe(401);
    expect((await post(app, 'revoke', { token: 'x', ...wrong }, from(ip, {}))).status).toBe(401);
    expect((await post(app, 'introspect', { token: 'x', ...wrong }, from(ip, {}))).status).toBe(401);
    expect((await post(app, 'revoke', { token: 'x', ...wrong }, from(ip, {}))).status).toBe(401);
    expect((await post(app, 'introspect', { token: 'x', ...wrong }, from(ip, {}))).status).toBe(401);
    const throttled = await post(app, 'introspect', { token: 'x', client_id: client.clientId, client_secret: client.clientSecret ?? '' }, from(ip, {}));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('60');
  });

  it('throttles unknown client ids like registered ones', async () => {
    const ip = `198.18.0.${++address}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await tokenRequest(app, GRANT, from(ip, { Authorization: basic('no-such-client', 'secret') }))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('allows one address 100 failed client authentications an hour across all clients', async () => {
    const ip = `198.18.2.${++address}`;
    for (let i = 0; i < 100; i++) {
      expect((await tokenRequest(app, GRANT, from(ip, { Authorization: basic(`client-${i}`, 'secret') }))).status, `attempt ${i + 1}`).toBe(401);
    }
    const client = await addClient(app);
    const throttled = await tokenRequest(app, GRANT, from(ip, { Authorization: basic(client.clientId, client.clientSecret ?? '') }));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3600');
    expect((await tokenRequest(app, GRANT, from(`198.18.3.${address}`, { Authorization: basic(client.clientId, client.clientSecret ?? '') }))).status).toBe(400);
  });

  it('writes no counter for a client that authenticates correctly: a token request costs no extra write', async () => {
    const client = await addClient(app);
    for (let i = 0; i < 3; i++) expect((await tokenRequest(app, GRANT, from('198.18.4.1', { Authorization: basic(client.clientId, client.clientSecret ?? '') }))).status).toBe(400);
    expect(await app.store.throttle.peek(`client:account:${hashSecret(client.clientId)}`, clock.now())).toBeNull();
    expect(await app.store.throttle.peek('client:address:198.18.4.1', clock.now())).toBeNull();
  });
});
