// Dynamic client registration with initial access tokens (RFC 7591 §3; DYNAMIC_REGISTRATION=token): openid-client,
// a certified relying-party library, registers a client with a token from `idp registration token create`; without
// one, or with one that is unknown, used up, expired or revoked, the answer is 401 invalid_token and nothing is
// stored; a refused registration spends no use; of two registrations racing for a token's last use exactly one
// registers a client. The registered client is a third party's (origin 'dynamic'), PKCE-bound, and audited.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { RunningApp } from '../helpers/start-app.js';
import { clientCount, initialToken, MINIMAL, REDIRECT_URI, register, startRegistrationApp, tokenRecord } from './registration-helpers.js';

describe('POST /register with initial access tokens (DYNAMIC_REGISTRATION=token)', () => {
  let app: RunningApp;
  let clock: FakeClock;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startRegistrationApp('token', {}, { clock });
  });
  afterAll(() => app.stop());

  it('is advertised by discovery as registration_endpoint', async () => {
    const metadata = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).toBe(`${app.config.issuer}/register`);
  });

  it('registers a client through openid-client with an initial access token: a third-party, dynamic, PKCE-bound client, audited', async () => {
    const { token, record } = await initialToken(app, { uses: 2 });
    const config = await oidc.dynamicClientRegistration(
      new URL(app.config.issuer),
      { redirect_uris: [REDIRECT_URI], client_name: 'Outside reporting', client_uri: 'https://reports.example', scope: 'openid email' },
      undefined,
      { initialAccessToken: token, execute: [oidc.allowInsecureRequests] },
    );
    const registered = config.clientMetadata();
    expect(registered.client_id).toEqual(expect.any(String));
    expect(registered.client_secret).toEqual(expect.any(String));
    expect(registered).toMatchObject({
      client_secret_expires_at: 0,
      client_name: 'Outside reporting',
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid email',
      client_uri: 'https://reports.example',
      id_token_signed_response_alg: 'RS256',
      registration_client_uri: `${app.config.issuer}/register/${registered.client_id}`,
    });
    expect(registered.registration_access_token).toEqual(expect.any(String));

    const stored = await app.store.clients.findById(registered.client_id);
    expect(stored).toMatchObject({ thirdParty: true, origin: 'dynamic', pkceRequired: true, clientType: 'confidential', scopes: ['openid', 'email'] });
    // Only hashes are stored.
    expect(stored?.registrationTokenHash).not.toBe(registered.registration_access_token);
    expect(stored?.secretHash).not.toBe(registered.client_secret);

    expect((await tokenRecord(app, record.id))?.usesLeft).toBe(1);
    const events = await app.store.audit.list({ limit: 10, filter: { type: 'client.registered', clientId: registered.client_id } });
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({ client_id: registered.client_id, via: 'token', registration_token_id: record.id });
    expect(JSON.stringify(await app.store.audit.list({ limit: 50 }))).not.toContain(token);

    // The client authenticates at the token endpoint with what it was given (a code it does not have: invalid_grant, not invalid_client).
    const answer = await fetch(`${app.config.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${registered.client_id}:${String(registered.client_secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43) }).toString(),
    });
    expect(((await answer.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('refuses a registration without a token: 401 invalid_token with the Bearer challenge, nothing stored', async () => {
    const before = await clientCount(app);
    const answer = await register(app, MINIMAL);
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('invalid_token');
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await clientCount(app)).toBe(before);
    // openid-client too.
    await expect(oidc.dynamicClientRegistration(new URL(app.config.issuer), MINIMAL, undefined, { execute: [oidc.allowInsecureRequests] })).rejects.toMatchObject({ status: 401 });
  });

  it('refuses an unknown, a used-up, an expired and a revoked token alike: 401 invalid_token, nothing stored', async () => {
    const usedUp = await initialToken(app, { uses: 1 });
    expect((await register(app, MINIMAL, { token: usedUp.token })).status).toBe(201);
    const expiring = await initialToken(app, { uses: 5, expiresAt: clock.now() + 60_000 });
    const revoked = await initialToken(app);
    await app.store.registrationTokens.delete(revoked.record.id);
    clock.advance(61_000);
    const before = await clientCount(app);
    for (const token of ['not-a-token', usedUp.token, expiring.token, revoked.token]) {
      const answer = await register(app, MINIMAL, { token });
      expect(answer.status, token).toBe(401);
      expect(answer.json.error).toBe('invalid_token');
    }
    expect(await clientCount(app)).toBe(before);
    expect((await tokenRecord(app, expiring.record.id))?.usesLeft).toBe(5);
  });

  it('spends no use on a refused registration (the metadata is checked before the token is used)', async () => {
    const { token, record } = await initialToken(app, { uses: 1 });
    const before = await clientCount(app);
    const refused = await register(app, { redirect_uris: ['http://rp.example/callback'] }, { token });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_redirect_uri');
    expect(await tokenRecord(app, record.id)).toMatchObject({ usesLeft: 1, used: 0 });
    expect(await clientCount(app)).toBe(before);
    expect((await register(app, MINIMAL, { token })).status).toBe(201);
    expect(await tokenRecord(app, record.id)).toMatchObject({ usesLeft: 0, used: 1 });
  });

  it('registers exactly one client when two registrations race for the last use of a token', async () => {
    const { token, record } = await initialToken(app, { uses: 1 });
    const before = await clientCount(app);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => register(app, { ...MINIMAL, client_name: `Racer ${i}` }, { token })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 401, 401, 401, 401, 401]);
    expect(await clientCount(app)).toBe(before + 1);
    expect(await tokenRecord(app, record.id)).toMatchObject({ usesLeft: 0, used: 1 });
  });

  it('takes a token from the Authorization header only, in the Bearer scheme', async () => {
    const { token } = await initialToken(app);
    const before = await clientCount(app);
    expect((await register(app, MINIMAL, { headers: { Authorization: `Basic ${token}` } })).status).toBe(401);
    expect((await register(app, { ...MINIMAL, access_token: token })).status).toBe(401);
    expect(await clientCount(app)).toBe(before);
    expect((await register(app, MINIMAL, { headers: { Authorization: `bearer ${token}` } })).status).toBe(201);
  });
});
