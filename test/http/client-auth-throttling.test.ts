// Throttling of client authentication at the token endpoint (and at revocation and introspection, which
// authenticate clients the same way), issue 19 F3: client ids are public, so failures count per client address
// only (100 an hour), never per client id, and the credentials are checked before the throttle: nothing a
// stranger sends can refuse an application's right secret, or a public client's PKCE redemption. An address past
// its budget has its failures answered 429 with Retry-After. Each counted failure is audited with its category.
// Requests come from real client addresses (127.0.0.0/8, no TRUST_PROXY): see ./from-address.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { AuditEventRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { postFormFrom, type AddressAnswer } from './from-address.js';

const HOUR = 60 * 60_000;
const JUNK_GRANT = { grant_type: 'refresh_token', refresh_token: 'not-a-real-refresh-token' };

describe('client authentication throttling (per client address, never per client id)', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let confidential: TestClient;
  let spa: TestClient;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
    await addUser(app);
    confidential = await addClient(app);
    spa = await addClient(app, { name: 'SPA', redirectUris: ['https://spa.example/'], isPublic: true });
  });

  afterAll(async () => {
    await app.stop();
  });

  const endpoint = (name: 'token' | 'revoke' | 'introspect') => `${app.config.issuer}/${name}`;

  /** A token request from `ip` with `client`'s id and this secret, by client_secret_basic. */
  const tokenWithSecret = (ip: string, clientId: string, secret: string, fields: Record<string, string> = JUNK_GRANT) =>
    postFormFrom(ip, endpoint('token'), fields, { Authorization: basic(clientId, secret) });

  /** A person signs in (from 127.0.0.1) for `client`; the code and the request's PKCE verifier. */
  async function codeFor(client: TestClient): Promise<{ code: string; start: AuthorizationStart }> {
    const start = await authorizationUrl(client);
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    return { code: callback.searchParams.get('code') ?? '', start };
  }

  async function redeemConfidential(ip: string, client: TestClient): Promise<AddressAnswer> {
    const { code, start } = await codeFor(client);
    return tokenWithSecret(ip, client.clientId, client.clientSecret ?? '', { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: start.codeVerifier });
  }

  async function redeemPublic(ip: string, client: TestClient): Promise<AddressAnswer> {
    const { code, start } = await codeFor(client);
    return postFormFrom(ip, endpoint('token'), { grant_type: 'authorization_code', client_id: client.clientId, code, redirect_uri: client.redirectUri, code_verifier: start.codeVerifier });
  }

  async function auditEvents(type: string): Promise<AuditEventRecord[]> {
    return app.store.audit.list({ limit: 1000, filter: { type } });
  }

  it("five wrong secrets sent from one address under an application's client id do not stop its redemption with the right secret from another address", async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await tokenWithSecret('127.0.0.2', confidential.clientId, 'wrong-secret');
      expect([answer.status, answer.json.error], `attempt ${i + 1}`).toEqual([401, 'invalid_client']);
    }
    const redeemed = await redeemConfidential('127.0.0.3', confidential);
    expect(redeemed.status, redeemed.body).toBe(200);
    expect(redeemed.json.access_token).toEqual(expect.any(String));
  });

  it("five junk secrets sent under a public client's id do not stop its PKCE redemption from another address", async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await postFormFrom('127.0.0.4', endpoint('token'), { ...JUNK_GRANT, client_id: spa.clientId, client_secret: 'junk' });
      expect([answer.status, answer.json.error], `attempt ${i + 1}`).toEqual([401, 'invalid_client']);
    }
    const redeemed = await redeemPublic('127.0.0.5', spa);
    expect(redeemed.status, redeemed.body).toBe(200);
    expect(redeemed.json.access_token).toEqual(expect.any(String));
  });

  it('throttles the address that sends the failures: 100 an hour across every client id, then 429 with Retry-After until the hour ends', async () => {
    const attacker = '127.0.1.1';
    const windowStart = clock.now();
    for (let i = 0; i < 100; i++) {
      const answer = await tokenWithSecret(attacker, i % 2 === 0 ? confidential.clientId : `client-${i}`, 'wrong-secret');
      expect(answer.status, `attempt ${i + 1}`).toBe(401);
    }
    const throttled = await tokenWithSecret(attacker, confidential.clientId, 'wrong-secret');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3600');
    expect(throttled.json).toEqual({ error: 'invalid_client', error_description: 'too many failed client authentications from this address; try again in 3600 seconds' });
    // The same budget at revocation and introspection.
    expect((await postFormFrom(attacker, endpoint('revoke'), { token: 'x', client_id: confidential.clientId, client_secret: 'wrong' })).status).toBe(429);
    expect((await postFormFrom(attacker, endpoint('introspect'), { token: 'x', client_id: 'unknown', client_secret: 'wrong' })).status).toBe(429);
    // Meanwhile the application, from its own address, and a public client from anywhere, are served.
    expect((await redeemConfidential('127.0.1.2', confidential)).status).toBe(200);
    expect((await tokenWithSecret('127.0.1.2', confidential.clientId, 'wrong-secret')).status).toBe(401);

    clock.advance(windowStart + HOUR - clock.now());
    expect((await tokenWithSecret(attacker, confidential.clientId, 'wrong-secret')).status).toBe(401);
  });

  it("serves right credentials even from an address past its budget: the block holds only the address's failures", async () => {
    const shared = '127.0.1.3';
    for (let i = 0; i < 100; i++) expect((await tokenWithSecret(shared, `stranger-${i}`, 'guess')).status, `attempt ${i + 1}`).toBe(401);
    expect((await tokenWithSecret(shared, confidential.clientId, 'wrong-secret')).status).toBe(429);
    expect((await redeemConfidential(shared, confidential)).status).toBe(200);
    expect((await redeemPublic(shared, spa)).status).toBe(200);
  });

  it('counts failures at revocation and introspection on the same address budget', async () => {
    const ip = '127.0.1.4';
    for (let i = 0; i < 98; i++) expect((await tokenWithSecret(ip, confidential.clientId, 'wrong')).status).toBe(401);
    expect((await postFormFrom(ip, endpoint('revoke'), { token: 'x', client_id: confidential.clientId, client_secret: 'wrong' })).status).toBe(401);
    expect((await postFormFrom(ip, endpoint('introspect'), { token: 'x', client_id: confidential.clientId, client_secret: 'wrong' })).status).toBe(401);
    const throttled = await postFormFrom(ip, endpoint('introspect'), { token: 'x', client_id: confidential.clientId, client_secret: 'wrong' });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toEqual(expect.stringMatching(/^\d+$/));
  });

  it('audits each counted failure as client_auth.failed with its category and never the secret, and the failure that uses up the budget once as client_auth.throttled', async () => {
    const ip = '127.0.1.5';
    const secret = 'a-guessed-secret-that-must-not-be-stored';
    const before = { failed: (await auditEvents('client_auth.failed')).length, throttled: (await auditEvents('client_auth.throttled')).length };
    expect((await tokenWithSecret(ip, confidential.clientId, secret)).status).toBe(401);
    expect((await tokenWithSecret(ip, 'no-such-client', secret)).status).toBe(401);
    expect((await postFormFrom(ip, endpoint('token'), { ...JUNK_GRANT, client_id: spa.clientId, client_secret: secret })).status).toBe(401);
    expect((await postFormFrom(ip, endpoint('token'), { ...JUNK_GRANT, client_id: confidential.clientId })).status).toBe(401);
    const failed = (await auditEvents('client_auth.failed')).slice(0, 4).reverse();
    expect(failed.map((event) => ({ clientId: event.clientId, ip: event.ip, actor: event.actor, outcome: event.outcome, details: event.details }))).toEqual([
      { clientId: confidential.clientId, ip, actor: 'anonymous', outcome: 'failure', details: { reason: 'wrong_secret', method: 'client_secret_basic' } },
      // An unknown client id is the sender's own text: it is not kept.
      { clientId: null, ip, actor: 'anonymous', outcome: 'failure', details: { reason: 'unknown_client', method: 'client_secret_basic' } },
      { clientId: spa.clientId, ip, actor: 'anonymous', outcome: 'failure', details: { reason: 'public_client_sent_secret', method: 'client_secret_post' } },
      { clientId: confidential.clientId, ip, actor: 'anonymous', outcome: 'failure', details: { reason: 'missing_secret', method: 'none' } },
    ]);
    expect(JSON.stringify(failed)).not.toContain(secret);
    expect(JSON.stringify(failed)).not.toContain('no-such-client');

    for (let i = 4; i < 100; i++) expect((await tokenWithSecret(ip, confidential.clientId, secret)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await tokenWithSecret(ip, confidential.clientId, secret)).status).toBe(429);
    expect((await auditEvents('client_auth.failed')).length - before.failed).toBe(100);
    const throttled = await auditEvents('client_auth.throttled');
    expect(throttled.length - before.throttled).toBe(1);
    expect(throttled[0]).toMatchObject({ clientId: confidential.clientId, ip, outcome: 'failure', details: { by: 'address', retry_after: 3600 } });
  });

  it('reads and writes no counter for a client that authenticates correctly, and keeps none per client id', async () => {
    const ip = '127.0.1.6';
    for (let i = 0; i < 3; i++) expect((await tokenWithSecret(ip, confidential.clientId, confidential.clientSecret ?? '')).status).toBe(400);
    expect(await app.store.throttle.peek(`client:address:${ip}`, clock.now())).toBeNull();
    expect((await tokenWithSecret(ip, confidential.clientId, 'wrong')).status).toBe(401);
    expect(await app.store.throttle.peek(`client:address:${ip}`, clock.now())).toMatchObject({ attempts: 1 });
    expect(await app.store.throttle.peek(`client:account:${hashSecret(confidential.clientId)}`, clock.now())).toBeNull();
  });
});
