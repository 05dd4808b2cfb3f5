// Who may register a client (DYNAMIC_REGISTRATION, issue 24): nobody by default ('closed': 403 access_denied,
// nothing stored, no registration_endpoint in discovery), or anyone ('open'), each client address admitted 20 times
// an hour (THROTTLE_RULES.registration: then 429 with Retry-After, nothing stored, other addresses unaffected).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { clientCount, freshAddress, initialToken, MINIMAL, REDIRECT_URI, register, startRegistrationApp } from './registration-helpers.js';

async function discovered(app: RunningApp): Promise<Record<string, unknown>> {
  return (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
}

describe('DYNAMIC_REGISTRATION=closed (the default)', () => {
  let app: RunningApp;
  let defaulted: RunningApp;
  beforeAll(async () => {
    app = await startRegistrationApp('closed');
    defaulted = await startApp();
  });
  afterAll(async () => {
    await app.stop();
    await defaulted.stop();
  });

  it('is the default', async () => {
    expect(defaulted.config.dynamicRegistration).toBe('closed');
    expect((await register(defaulted, MINIMAL)).status).toBe(403);
    expect(await discovered(defaulted)).not.toHaveProperty('registration_endpoint');
  });

  it('refuses every registration with 403 access_denied and stores nothing, with or without a token', async () => {
    const { token } = await initialToken(app);
    const before = await clientCount(app);
    for (const options of [{}, { token }]) {
      const answer = await register(app, MINIMAL, options);
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({ error: 'access_denied', error_description: 'Dynamic client registration is not enabled on this server' });
      expect(answer.headers['cache-control']).toBe('no-store');
    }
    // Even a body that is not JSON: the mode is decided before the body is read.
    expect((await register(app, null, { body: 'not json', contentType: 'text/plain' })).status).toBe(403);
    expect(await clientCount(app)).toBe(before);
  });

  it('is not advertised by discovery (and openid-client cannot register)', async () => {
    expect(await discovered(app)).not.toHaveProperty('registration_endpoint');
    await expect(oidc.dynamicClientRegistration(new URL(app.config.issuer), MINIMAL, undefined, { execute: [oidc.allowInsecureRequests] })).rejects.toThrow(/registration_endpoint/);
  });
});

describe('DYNAMIC_REGISTRATION=open', () => {
  let app: RunningApp;
  let clock: FakeClock;
  beforeAll(async () => {
    clock = new FakeClock();
    app = await startRegistrationApp('open', {}, { clock });
  });
  afterAll(() => app.stop());

  it('registers anyone without a token, advertised by discovery, audited as via open', async () => {
    expect((await discovered(app)).registration_endpoint).toBe(`${app.config.issuer}/register`);
    const config = await oidc.dynamicClientRegistration(new URL(app.config.issuer), { redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const registered = config.clientMetadata();
    expect(registered).toMatchObject({ token_endpoint_auth_method: 'none', client_name: 'rp.example' });
    expect(registered).not.toHaveProperty('client_secret');
    expect(await app.store.clients.findById(registered.client_id)).toMatchObject({ clientType: 'public', thirdParty: true, origin: 'dynamic', pkceRequired: true });
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'client.registered', clientId: registered.client_id } });
    expect(event?.details).toMatchObject({ via: 'open', registration_token_id: null });
  });

  it(`admits ${THROTTLE_RULES.registration.limit} registrations an hour per client address: then 429 with Retry-After, nothing stored; another address registers`, async () => {
    const attacker = freshAddress();
    const limit = THROTTLE_RULES.registration.limit;
    const before = await clientCount(app);
    for (let i = 0; i < limit; i++) expect((await register(app, MINIMAL, { from: attacker })).status).toBe(201);
    const refused = await register(app, MINIMAL, { from: attacker });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json.error).toBe('temporarily_unavailable');
    expect(await clientCount(app)).toBe(before + limit);
    const other = freshAddress();
    expect((await register(app, MINIMAL, { from: other })).status).toBe(201);
    clock.advance(THROTTLE_RULES.registration.windowMs + 1000);
    expect((await register(app, MINIMAL, { from: attacker })).status).toBe(201);
  });

  it('counts refused registrations on the address too', async () => {
    const address = freshAddress();
    for (let i = 0; i < THROTTLE_RULES.registration.limit; i++) expect((await register(app, { redirect_uris: 'not a list' }, { from: address })).status).toBe(400);
    expect((await register(app, MINIMAL, { from: address })).status).toBe(429);
  });

  it('answers a CORS preflight and cross-origin calls (bearer tokens, no cookies)', async () => {
    const preflight = await fetch(`${app.config.issuer}/register`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://tools.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    const answer = await register(app, MINIMAL, { headers: { Origin: 'https://tools.example' } });
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('DYNAMIC_REGISTRATION=token: discovery', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startRegistrationApp('token');
  });
  afterAll(() => app.stop());

  it('advertises the endpoint (a token is needed to use it)', async () => {
    expect((await discovered(app)).registration_endpoint).toBe(`${app.config.issuer}/register`);
  });
});
