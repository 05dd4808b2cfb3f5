// POST /device_authorization (RFC 8628 §3.1, §3.2; issue 22): the client authenticates as at the token endpoint
// (a public client with its client_id alone), must be registered for the device grant, and asks for a scope by the
// authorization endpoint's rules without needing openid, with `resource` naming APIs (RFC 8707). The answer: a
// 256-bit device code and an 8-letter user code (both stored only hashed), where to type it, how long it lives and
// how often to poll. Every refusal stores nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId } from '../../src/auth/secrets.js';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { normaliseUserCode, userCodeHash, USER_CODE_ALPHABET } from '../../src/oidc/user-code.js';
import type { ApiRecord } from '../../src/store/records.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addDeviceClient, authorizeDevice, startDevice, type DeviceClient } from './device-helpers.js';

describe('the device authorization endpoint (RFC 8628 §3.1)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let tv: DeviceClient;
  let cli: DeviceClient;
  let orders: ApiRecord;

  const deviceRows = async () => Number((await queryRows<{ n: number | string }>(app, 'SELECT COUNT(*) AS n FROM device_codes', []))[0]?.n);

  beforeAll(async () => {
    app = await startApp({ clock, env: { DEVICE_CODE_TTL: '900' } });
    tv = await addDeviceClient(app, { name: 'TV' });
    cli = await addDeviceClient(app, { name: 'CLI', public: true });
    orders = await app.store.apis.create(
      {
        id: randomId(),
        name: 'Orders API',
        identifier: 'https://orders.example/api',
        scopes: [
          { name: 'orders:read', description: 'Read your orders' },
          { name: 'orders:write', description: 'Place orders for you' },
        ],
        tokenLifetime: null,
        tokenFormat: 'jwt',
        accepts: 'both',
      },
      clock.now(),
    );
    await app.store.apis.setGrants(tv.record.clientId, [{ apiId: orders.id, role: 'request', scopes: ['orders:read'] }]);
  });
  afterAll(() => app?.stop());

  it('answers a confidential client with both codes, where to type the code, its lifetime and the interval; only hashes are stored', async () => {
    const answer = await authorizeDevice(app, tv, { scope: 'openid profile' });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const userCode = answer.json.user_code as string;
    expect(userCode).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`));
    expect(answer.json).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: userCode,
      verification_uri: `${app.url}/device`,
      verification_uri_complete: `${app.url}/device?user_code=${userCode}`,
      expires_in: 900,
      interval: 5,
    });
    const record = await app.store.deviceCodes.find(hashSecret(answer.json.device_code as string));
    expect(record).toMatchObject({
      userCodeHash: userCodeHash(normaliseUserCode(userCode) ?? ''),
      clientId: tv.record.clientId,
      scope: 'openid profile',
      resources: [],
      status: 'pending',
      interval: 5,
      expiresAt: clock.now() + 900_000,
    });
    // Neither code is in the table as it was handed out.
    const rows = await queryRows<Record<string, unknown>>(app, 'SELECT * FROM device_codes', []);
    expect(JSON.stringify(rows)).not.toContain(answer.json.device_code as string);
    expect(JSON.stringify(rows)).not.toContain(normaliseUserCode(userCode) ?? '-');
  });

  it('serves a public client by its client_id alone, without openid: the scope it may have, unknown scopes dropped', async () => {
    const start = await startDevice(app, cli, { scope: 'email offline_access made-up' });
    const record = await app.store.deviceCodes.find(hashSecret(start.deviceCode));
    expect(record?.scope).toBe('email offline_access');
    expect(record?.clientId).toBe(cli.record.clientId);
  });

  it('keeps the APIs named with resource and their granted scopes; an API scope not granted is invalid_scope', async () => {
    const start = await startDevice(app, tv, new URLSearchParams({ scope: 'openid orders:read', resource: orders.identifier }));
    const record = await app.store.deviceCodes.find(hashSecret(start.deviceCode));
    expect(record).toMatchObject({ scope: 'openid orders:read', resources: [orders.identifier] });

    const before = await deviceRows();
    const refused = await authorizeDevice(app, tv, new URLSearchParams({ scope: 'openid orders:write', resource: orders.identifier }));
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_scope');
    expect(await deviceRows()).toBe(before);
  });

  it('refuses an unknown or ungranted resource with invalid_target, storing nothing', async () => {
    const before = await deviceRows();
    for (const [client, resource] of [
      [tv, 'https://unknown.example/api'],
      [cli, orders.identifier],
      [tv, 'not a uri'],
    ] as const) {
      const answer = await authorizeDevice(app, client, new URLSearchParams({ scope: 'openid', resource }));
      expect({ status: answer.status, error: answer.json.error }).toEqual({ status: 400, error: 'invalid_target' });
    }
    expect(await deviceRows()).toBe(before);
  });

  it('refuses a client not registered for the device grant with unauthorized_client', async () => {
    const web = await addDeviceClient(app, { name: 'Web app', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['https://web.example/cb'] });
    const before = await deviceRows();
    const answer = await authorizeDevice(app, web, { scope: 'openid' });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: 'unauthorized_client', error_description: 'this client may not use the device authorization grant' });
    expect(await deviceRows()).toBe(before);
  });

  it('refuses a wrong secret and an unknown client with invalid_client (401), storing nothing', async () => {
    const before = await deviceRows();
    const wrong = await authorizeDevice(app, { record: tv.record, secret: 'not-the-secret' }, { scope: 'openid' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('invalid_client');
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
    const unknown = await authorizeDevice(app, { record: { ...cli.record, clientId: 'nobody' }, secret: null }, { scope: 'openid' });
    expect(unknown.status).toBe(401);
    expect(await deviceRows()).toBe(before);
  });

  it('refuses a repeated scope with invalid_request', async () => {
    const answer = await authorizeDevice(
      app,
      tv,
      new URLSearchParams([
        ['scope', 'openid'],
        ['scope', 'profile'],
      ]),
    );
    expect({ status: answer.status, error: answer.json.error }).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('admits device authorizations per address: past the budget, 429 with Retry-After and nothing stored', async () => {
    // The budget is shared with nothing else; use it up through the store's counter, as many requests would.
    const limit = THROTTLE_RULES.admission.limit;
    const key = 'device_authorization:address:127.0.0.1';
    const used = (await app.store.throttle.peek(key, clock.now()))?.attempts ?? 0;
    for (let count = used; count < limit; count += 1) await app.store.throttle.attempt(key, THROTTLE_RULES.admission, clock.now());
    const before = await deviceRows();
    const answer = await authorizeDevice(app, cli, { scope: 'openid' });
    expect(answer.status).toBe(429);
    expect(answer.json.error).toBe('slow_down');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await deviceRows()).toBe(before);
    clock.advance(THROTTLE_RULES.admission.windowMs);
    expect((await authorizeDevice(app, cli, { scope: 'openid' })).status).toBe(200);
  });
});
