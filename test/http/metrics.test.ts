// GET /metrics (issue 26): scraped before and after a scripted load (a code flow, a refresh and its reuse, a
// client_credentials token, wrong passwords until the throttle refuses), the counters checked to have moved by
// exactly what the load did, and the scrape checked to hold nothing personal of it. Then who may scrape: the
// METRICS_TOKEN bearer rules on the main listener, the 404 when metrics are off there, and METRICS_PORT's own
// loopback listener.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { startMetricsListener } from '../../src/metrics/metrics-listener.js';
import type { ApiRecord, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { basic, refresh, tokenRequest, tokensFor, type Tokens } from '../helpers/refresh.js';
import { signInFormFrom } from '../helpers/sign-in-form.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addMachine, type MachineClient } from './client-credentials-helpers.js';
import { parseSamples, scrape, valueOf, type Samples } from './metrics-helpers.js';
import { addApi, requestGrant } from './resource-helpers.js';

const TOKEN = randomBytes(32).toString('hex');
const WRONG = 'not the password at all';
/** The labels a metric of ours may have (issue 26: none holds a user id, an email, a client id or a token). */
const ALLOWED_LABELS = new Set(['route', 'method', 'status', 'outcome', 'grant', 'kind', 'rule', 'operation', 'le']);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ env: { METRICS_TOKEN: TOKEN, TRUST_PROXY: 'loopback' } });
});
afterAll(() => app.stop());

const metricsUrl = () => `${app.url}/metrics`;

describe('the counters after a scripted load', () => {
  let before: Samples;
  let after: Samples;
  let text: string;
  let ada: UserRecord;
  let client: TestClient;
  let machine: MachineClient;
  let tokens: Tokens;
  let refreshed: Record<string, string>;
  let machineToken: string;
  let sessionCookie: string | undefined;
  const moved = (series: string) => valueOf(after, series) - valueOf(before, series);

  beforeAll(async () => {
    ada = await addUser(app);
    client = await addClient(app);
    const orders: ApiRecord = await addApi(app, { name: 'Orders', identifier: 'https://orders.example/api', scopes: ['orders:read'] });
    machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(orders, ['orders:read'])] });
    before = (await scrape(metricsUrl(), TOKEN)).samples;

    // A person signs in through the form and the application redeems the code (one sign-in, one code grant).
    const browser = new Browser();
    tokens = await tokensFor(app, client, browser, 'openid email profile');
    sessionCookie = browser.cookie(new URL(app.url).origin, 'gatehouse_session');
    // One refresh, then the rotated token presented again: reuse detected.
    const answer = await refresh(app, client, tokens.refresh_token);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    refreshed = answer.json;
    expect((await refresh(app, client, tokens.refresh_token)).json.error).toBe('invalid_grant');
    // A machine's token.
    const machineAnswer = await tokenRequest(app, 'grant_type=client_credentials', { Authorization: basic(machine.clientId, machine.secret ?? '') });
    expect(machineAnswer.status, JSON.stringify(machineAnswer.json)).toBe(200);
    machineToken = machineAnswer.json.access_token ?? '';
    // Five wrong passwords (refused), then the throttle refuses the sixth before any hash.
    const form = await signInFormFrom(app, '198.51.100.26');
    for (let attempt = 0; attempt < 5; attempt++) expect((await form.submit(ada.email, WRONG)).status).toBe(401);
    expect((await form.submit(ada.email, PASSWORD)).status).toBe(429);

    ({ text, samples: after } = await scrape(metricsUrl(), TOKEN));
  });

  it('counts the sign-ins by method and outcome, the tokens by grant, the reuse and the throttled attempt', () => {
    expect(moved('gatehouse_sign_ins_total{method="password",outcome="success"}')).toBe(1);
    expect(moved('gatehouse_sign_ins_total{method="password",outcome="failure"}')).toBe(5);
    expect(moved('gatehouse_sign_ins_total{method="second_factor",outcome="success"}')).toBe(0);
    expect(moved('gatehouse_tokens_issued_total{grant="authorization_code"}')).toBe(1);
    expect(moved('gatehouse_tokens_issued_total{grant="refresh_token"}')).toBe(1);
    expect(moved('gatehouse_tokens_issued_total{grant="client_credentials"}')).toBe(1);
    expect(moved('gatehouse_refresh_token_reuse_detected_total')).toBe(1);
    expect(moved('gatehouse_throttled_requests_total{rule="signin"}')).toBe(1);
  });

  it('counts and times the requests per route name, method and status, the fast path (discovery) included', () => {
    expect(moved('gatehouse_http_requests_total{route="token",method="POST",status="200"}')).toBe(3);
    expect(moved('gatehouse_http_requests_total{route="token",method="POST",status="400"}')).toBe(1);
    expect(moved('gatehouse_http_request_duration_seconds_count{route="token",method="POST"}')).toBe(4);
    expect(moved('gatehouse_http_requests_total{route="login",method="POST",status="401"}')).toBe(5);
    expect(moved('gatehouse_http_requests_total{route="login",method="POST",status="429"}')).toBe(1);
    // The scrape before this load was itself answered and counted.
    expect(valueOf(after, 'gatehouse_http_requests_total{route="metrics",method="GET",status="200"}')).toBeGreaterThanOrEqual(1);
    // openid-client's discovery (addClient) went through the node:http fast path.
    expect(valueOf(after, 'gatehouse_http_requests_total{route="discovery",method="GET",status="200"}')).toBeGreaterThanOrEqual(1);
    // Buckets are cumulative: +Inf holds every request.
    expect(valueOf(after, 'gatehouse_http_request_duration_seconds_bucket{le="+Inf",route="token",method="POST"}')).toBe(
      valueOf(after, 'gatehouse_http_request_duration_seconds_count{route="token",method="POST"}'),
    );
  });

  it('times the store operations, the password hashes (waits and queue) and the signatures', () => {
    expect(moved('gatehouse_store_operation_duration_seconds_count{operation="audit.append"}')).toBeGreaterThanOrEqual(8);
    expect(moved('gatehouse_store_operation_duration_seconds_count{operation="users.findByEmail"}')).toBeGreaterThanOrEqual(6);
    // One verification for the sign-in, one per wrong password; none for the throttled one.
    expect(moved('gatehouse_password_hash_wait_seconds_count')).toBe(6);
    expect(valueOf(after, 'gatehouse_password_hash_queue_depth')).toBe(0);
    expect(valueOf(after, 'gatehouse_password_hashes_running')).toBe(0);
    // ID and access token of the code flow and of the refresh, the machine's access token.
    expect(moved('gatehouse_signing_duration_seconds_count')).toBe(5);
    expect(valueOf(after, 'gatehouse_signing_in_flight')).toBe(0);
  });

  it('serves the key gauges and the process metrics', () => {
    const age = valueOf(after, 'gatehouse_signing_key_oldest_published_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(3600);
    // No key is pending: the gauge is absent (not 0, which would read as "a key activates now").
    expect(after.has('gatehouse_signing_key_next_activation_seconds')).toBe(false);
    expect(text).toContain('# TYPE gatehouse_signing_key_next_activation_seconds gauge');
    expect(valueOf(after, 'gatehouse_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(after.has('gatehouse_nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('holds no email, name, user id, client id, secret, token, session or sid of the load, and only the allowed labels', () => {
    const idToken = decodeJwt(tokens.id_token);
    const personal = {
      email: ada.email,
      name: 'Ada Lovelace',
      userId: ada.id,
      clientId: client.clientId,
      clientSecret: client.clientSecret ?? '',
      machineId: machine.clientId,
      machineSecret: machine.secret ?? '',
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      idToken: tokens.id_token,
      refreshedToken: refreshed.refresh_token ?? '',
      machineToken,
      session: sessionCookie ?? '',
      sid: String(idToken.sid),
    };
    for (const [what, value] of Object.entries(personal)) {
      expect(value.length, what).toBeGreaterThan(8);
      expect(text.includes(value), what).toBe(false);
    }
    const labels = new Set(
      [...after.keys()]
        .filter((series) => series.startsWith('gatehouse_') && !/^gatehouse_(process|nodejs)_/.test(series))
        .flatMap((series) => [...series.matchAll(/[{,](\w+)="/g)].map((match) => match[1])),
    );
    expect([...labels].filter((label) => !ALLOWED_LABELS.has(label ?? ''))).toEqual([]);
    expect(labels.has('route')).toBe(true);
  });

  it('reads the seconds until a scheduled key activates at each scrape', async () => {
    await app.keyRing.scheduleKey(app.clock.now() + 3_600_000);
    const { samples } = await scrape(metricsUrl(), TOKEN);
    const seconds = valueOf(samples, 'gatehouse_signing_key_next_activation_seconds');
    expect(seconds).toBeGreaterThan(3000);
    expect(seconds).toBeLessThanOrEqual(3600);
  });
});

describe('who may scrape', () => {
  const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => fetch(url, { method, headers });
  const refusedBody = async (response: Response) => (await response.json()) as { error: string; error_description: string };

  it('answers a request without credentials 401 with the bare Bearer challenge (RFC 6750 §3.1), as uncacheable JSON', async () => {
    const response = await get(metricsUrl());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await refusedBody(response)).error).toBe('invalid_token');
  });

  it('answers a wrong token, the token in another scheme or in the query, and a longer or shorter token 401 invalid_token', async () => {
    const refusals = [
      { Authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      { Authorization: `Bearer ${TOKEN}0` },
      { Authorization: `Bearer ${TOKEN.slice(0, 32)}` },
      { Authorization: `Basic ${TOKEN}` },
      { Authorization: `Bearer ${TOKEN} ${TOKEN}` },
    ];
    for (const headers of refusals) {
      const response = await get(metricsUrl(), headers);
      expect(response.status, headers.Authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
      const body = await refusedBody(response);
      expect(body.error).toBe('invalid_token');
      expect(JSON.stringify(body)).not.toContain(TOKEN.slice(0, 16));
    }
    expect((await get(`${metricsUrl()}?access_token=${TOKEN}`)).status).toBe(401);
    // The scheme is case-insensitive (RFC 9110 §11.1).
    expect((await get(metricsUrl(), { Authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('never writes the presented token to the log', () => {
    expect(JSON.stringify(app.logs)).not.toContain(TOKEN.slice(0, 16));
  });

  it('answers 404 on the main listener when METRICS_TOKEN is not set, token or not', async () => {
    const listener = createApp({
      config: { ...app.config, metrics: { token: null, port: null } },
      store: app.store,
      keyRing: app.keyRing,
      clock: app.clock,
      logger: app.logger,
      sessionEnd: app.sessionEnd,
      mailer: app.mailer,
      federation: app.federation,
    });
    const server = http.createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      for (const headers of [{}, { Authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
        const response = await get(url, headers);
        expect(response.status).toBe(404);
        expect((await refusedBody(response)).error).toBe('not_found');
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await listener.close();
    }
  });

  describe("METRICS_PORT's own listener on 127.0.0.1", () => {
    const deps = (token: string | null) => ({ config: { metrics: { token, port: 0 } }, keyRing: app.keyRing, clock: app.clock, logger: app.logger });

    it('serves GET and HEAD /metrics with the token, and nothing else', async () => {
      const listener = await startMetricsListener(deps(TOKEN));
      if (!listener) throw new Error('no listener');
      const base = `http://127.0.0.1:${listener.port}`;
      try {
        const { samples } = await scrape(`${base}/metrics`, TOKEN);
        expect(valueOf(samples, 'gatehouse_http_requests_total{route="metrics",method="GET",status="200"}')).toBeGreaterThanOrEqual(1);
        const head = await get(`${base}/metrics`, { Authorization: `Bearer ${TOKEN}` }, 'HEAD');
        expect([head.status, await head.text()]).toEqual([200, '']);
        const missing = await get(`${base}/metrics`);
        expect([missing.status, missing.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="gatehouse"']);
        expect((await get(`${base}/metrics`, { Authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).status).toBe(401);
        for (const path of ['/', '/healthz', '/metrics/x', '/.well-known/openid-configuration']) {
          const response = await get(`${base}${path}`, { Authorization: `Bearer ${TOKEN}` });
          expect(response.status, path).toBe(404);
          expect((await refusedBody(response)).error).toBe('not_found');
        }
        const post = await get(`${base}/metrics`, { Authorization: `Bearer ${TOKEN}` }, 'POST');
        expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
      } finally {
        await listener.close();
      }
      // Closed means closed: nothing answers on the port any more.
      await expect(fetch(`${base}/metrics`)).rejects.toThrow();
    });

    it('asks for no token when METRICS_TOKEN is not set (loopback only), and is not started without METRICS_PORT', async () => {
      const listener = await startMetricsListener(deps(null));
      if (!listener) throw new Error('no listener');
      try {
        const response = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
        expect(response.status).toBe(200);
        expect(parseSamples(await response.text()).has('gatehouse_refresh_token_reuse_detected_total')).toBe(true);
      } finally {
        await listener.close();
      }
      expect(await startMetricsListener({ ...deps(TOKEN), config: { metrics: { token: TOKEN, port: null } } })).toBeNull();
    });
  });
});
