// Admission limits on the unauthenticated requests that store a row (issue 19, F9): GET /authorize keeps a
// pending sign-in for 30 minutes, POST /login/passkey/options a passkey challenge for 5. Each client address may
// store 600 of either in 10 minutes (THROTTLE_RULES.admission); past that the answer is 429 with Retry-After and
// nothing is stored, while every other address goes on as before. Requests come from real client addresses
// (127.0.0.0/8, no TRUST_PROXY): see ./from-address.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { csrfTokenFor } from '../../src/interaction/pending-request.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, type TestClient } from '../helpers/oidc.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { requestFrom, type AddressAnswer } from './from-address.js';

const LIMIT = THROTTLE_RULES.admission.limit;
const WINDOW_SECONDS = THROTTLE_RULES.admission.windowMs / 1000;

describe('admission limits on unauthenticated writes, per client address', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app);
  });

  afterAll(async () => {
    await app.stop();
  });

  const pendingRequests = () => countRows(app, 'SELECT count(*) AS n FROM authorization_requests');
  const challenges = () => countRows(app, "SELECT count(*) AS n FROM sign_in_challenges WHERE purpose = 'passkey_sign_in'");
  const auditCount = async (type: string) => (await app.store.audit.list({ limit: 1000, filter: { type } })).length;

  /** GET /authorize from `ip` with a fresh, valid request and no session: the login page's redirect stores a pending request. */
  async function authorizeFrom(ip: string, extra: Record<string, string> = {}): Promise<AddressAnswer> {
    const { url } = await authorizationUrl(client, extra);
    return requestFrom(ip, url);
  }

  /**
   * POST /login/passkey/options from `ip`, as anyone can send it: a browser cookie of the sender's choosing and
   * the CSRF token derived from it for a sign-in to our own account page.
   */
  function passkeyOptionsFrom(ip: string): Promise<AddressAnswer> {
    const browser = 'chosen-by-the-sender';
    return requestFrom(ip, `${app.config.issuer}/login/passkey/options`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Cookie: `gatehouse_browser=${browser}` },
      body: JSON.stringify({ return_to: '/account', csrf: csrfTokenFor(browser, 'return\0/account') }),
    });
  }

  it(`stores no pending request past ${LIMIT} from one address in 10 minutes: 429 with Retry-After and a page of ours, while another address signs in`, async () => {
    const attacker = '127.0.2.1';
    const start = clock.now();
    const before = await pendingRequests();
    const throttledEvents = await auditCount('admission.throttled');
    for (let i = 0; i < LIMIT; i++) {
      const answer = await authorizeFrom(attacker);
      expect(answer.status, `request ${i + 1}`).toBe(303);
    }
    expect(await pendingRequests()).toBe(before + LIMIT);

    const refused = await authorizeFrom(attacker);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(WINDOW_SECONDS));
    expect(refused.headers.location).toBeUndefined();
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.body).toContain('Too many sign-ins were started from your network');
    expect(refused.body).toContain('Try again in 10 minutes.');
    expect(await pendingRequests()).toBe(before + LIMIT);
    // The request that used up the budget was audited, once; the refusals are not stored anywhere.
    expect(await auditCount('admission.throttled')).toBe(throttledEvents + 1);
    for (let i = 0; i < 5; i++) expect((await authorizeFrom(attacker)).status).toBe(429);
    expect(await pendingRequests()).toBe(before + LIMIT);
    expect(await auditCount('admission.throttled')).toBe(throttledEvents + 1);

    const person = await authorizeFrom('127.0.2.2');
    expect(person.status).toBe(303);
    expect(new URL(person.headers.location ?? '', app.config.issuer).pathname).toBe('/login');
    expect(await pendingRequests()).toBe(before + LIMIT + 1);

    // When the window ends, the address is admitted again.
    clock.advance(start + THROTTLE_RULES.admission.windowMs - clock.now());
    expect((await authorizeFrom(attacker)).status).toBe(303);
  });

  it('counts only the requests that store a row: prompt=none without a session answers the application and stores nothing', async () => {
    const ip = '127.0.2.3';
    const before = await pendingRequests();
    const answer = await authorizeFrom(ip, { prompt: 'none' });
    expect(answer.status).toBe(303);
    expect(new URL(answer.headers.location ?? '').searchParams.get('error')).toBe('login_required');
    expect(await pendingRequests()).toBe(before);
    expect(await app.store.throttle.peek(`authorize:address:${ip}`, clock.now())).toBeNull();
  });

  it(`stores no passkey challenge past ${LIMIT} from one address in 10 minutes: 429 with Retry-After as JSON, while another address gets its challenge`, async () => {
    const attacker = '127.0.2.4';
    const before = await challenges();
    for (let i = 0; i < LIMIT; i++) {
      const answer = await passkeyOptionsFrom(attacker);
      expect(answer.status, `request ${i + 1}: ${answer.body}`).toBe(200);
    }
    expect(await challenges()).toBe(before + LIMIT);

    const refused = await passkeyOptionsFrom(attacker);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(WINDOW_SECONDS));
    expect(refused.json).toEqual({ error: 'throttled', message: 'Too many passkey sign-ins were started from your network. Try again in 10 minutes.' });
    expect(await challenges()).toBe(before + LIMIT);

    const person = await passkeyOptionsFrom('127.0.2.5');
    expect(person.status).toBe(200);
    expect(person.json.challengeId).toEqual(expect.any(String));
    expect(await challenges()).toBe(before + LIMIT + 1);
  });

  it('keeps one counter row per address and scope, whatever the number of requests', async () => {
    const ip = '127.0.2.6';
    for (let i = 0; i < 3; i++) {
      expect((await authorizeFrom(ip)).status).toBe(303);
      expect((await passkeyOptionsFrom(ip)).status).toBe(200);
    }
    const counters = await countRows(app, 'SELECT count(*) AS n FROM throttle_counters WHERE key LIKE ?', [`%:address:${ip}`]);
    expect(counters).toBe(2);
    expect(await app.store.throttle.peek(`authorize:address:${ip}`, clock.now())).toMatchObject({ attempts: 3 });
    expect(await app.store.throttle.peek(`passkey_options:address:${ip}`, clock.now())).toMatchObject({ attempts: 3 });
  });
});
