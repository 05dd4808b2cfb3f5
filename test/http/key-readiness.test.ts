// Key rotation readiness over HTTP (issue 26): applications sign people in and verify ID tokens against the JWKS
// (jose, as a relying party does), the server attributes each JWKS fetch to the clients that authenticated from
// the same address and User-Agent, and the Signing keys screen shows, before the next key activates, which
// applications have fetched it and which have not. TRUST_PROXY=loopback: the test is the proxy, so that
// X-Forwarded-For names where each application is.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/manage/clients.js';
import { readiness } from '../../src/signing/key-readiness.js';
import type { ClientSightingSummary } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, manage, open, submitLogin, type TestClient } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const XSS = '<script>alert(1)</script>';

/** A relying application: its client, and where its requests come from. */
interface RelyingApp {
  client: TestClient;
  userAgent: string;
  address: string;
}

describe('key rotation readiness (issue 26)', () => {
  let app: RunningApp;
  let admin: SignedInAdmin;
  const browser = new Browser();

  const headersOf = (rp: Pick<RelyingApp, 'userAgent' | 'address'>, forwarded = rp.address) => ({ 'user-agent': rp.userAgent, 'x-forwarded-for': forwarded });

  /** A request that authenticates the client (RFC 7009: revoking an unknown token answers 200). */
  async function authenticate(rp: RelyingApp, secret = rp.client.clientSecret ?? ''): Promise<number> {
    const response = await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { ...headersOf(rp), 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rp.client.clientId, secret) },
      body: 'token=not-a-token',
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** A person signs in to the application, which redeems the code and verifies the ID token with the JWKS. */
  async function signInAndVerify(rp: RelyingApp, jwksPath = '/jwks'): Promise<string> {
    const start = await authorizationUrl(rp.client);
    let page = await open(browser, app, start.url);
    if (page.status === 200) page = await submitLogin(browser, page, 'ada@example.com');
    const code = new URL(page.location ?? '').searchParams.get('code') ?? '';
    const response = await fetch(`${app.config.issuer}/token`, {
      method: 'POST',
      headers: { ...headersOf(rp), 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rp.client.clientId, rp.client.clientSecret ?? '') },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: rp.client.redirectUri, code_verifier: start.codeVerifier }).toString(),
    });
    const tokens = (await response.json()) as { id_token: string };
    expect(response.status, JSON.stringify(tokens)).toBe(200);
    await verify(rp, tokens.id_token, jwksPath);
    return tokens.id_token;
  }

  /** What a relying party does with an ID token: a fresh remote key set, so the JWKS is fetched now. */
  async function verify(rp: RelyingApp, idToken: string, jwksPath = '/jwks'): Promise<void> {
    const keys = createRemoteJWKSet(new URL(`${app.config.issuer}${jwksPath}`), { headers: headersOf(rp) });
    await jwtVerify(idToken, keys, { issuer: app.config.issuer, audience: rp.client.clientId });
  }

  /** Sightings are written in the background, in the order observed: waits (bounded) until `check` holds. */
  async function until(check: (summaries: Map<string, ClientSightingSummary>) => boolean, what: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const summaries = new Map((await app.store.clientSightings.summary(0)).map((s) => [s.clientId, s]));
      if (check(summaries)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`never recorded: ${what}`);
  }

  beforeAll(async () => {
    app = await startApp({ env: { TRUST_PROXY: 'loopback' } });
    await addUser(app);
    admin = await signedInAdmin(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('shows before the activation which application fetched the new key and which did not', async () => {
    const ready: RelyingApp = { client: await addClient(app, { name: 'Ready app' }), userAgent: 'ready-app/1.0', address: '198.51.100.10' };
    const stale: RelyingApp = { client: await addClient(app, { name: `Stale app ${XSS}` }), userAgent: 'stale-app/1.0', address: '198.51.100.11' };
    const machine = await createClient(manage(app), { name: 'Nightly job', machine: true, redirectUris: [] });
    const nightly: RelyingApp = {
      client: { clientId: machine.client.clientId, clientSecret: machine.clientSecret, redirectUri: '', config: ready.client.config },
      userAgent: 'nightly/1',
      address: '198.51.100.12',
    };
    const spa = await addClient(app, { name: 'Single page', isPublic: true });

    // Before the rotation both applications sign people in and verify ID tokens; the machine client only authenticates.
    const idToken = await signInAndVerify(ready);
    await signInAndVerify(stale);
    expect(await authenticate(nightly)).toBe(200);
    await until((s) => s.get(ready.client.clientId)?.lastJwksFetchAt != null && s.get(stale.client.clientId)?.lastJwksFetchAt != null && s.has(nightly.client.clientId), 'the first sign-ins');

    const rotated = await admin.post('/admin/keys/rotate', {});
    expect(rotated.status, rotated.body).toBe(303);
    const pending = app.keyRing.schedule.keys.find((t) => t.state === 'pending')?.key;
    expect(pending).toBeDefined();
    const kid = pending?.kid ?? '';

    // Only the ready application fetches the JWKS again (with a query string: through Express, not the fast path).
    await verify(ready, idToken, '/jwks?refresh=1');
    await until((s) => (s.get(ready.client.clientId)?.lastJwksFetchAt ?? 0) >= (pending?.createdAt ?? Infinity), 'the refetch');

    const report = await readiness(app.store, app.keyRing, app.clock.now());
    expect(report.pendingKey?.kid).toBe(kid);
    expect(report.clients.map((c) => [c.clientId, c.state])).toEqual([
      [stale.client.clientId, 'waiting'],
      [nightly.client.clientId, 'unknown'],
      [ready.client.clientId, 'ready'],
    ]);
    // A public client never authenticates: not tracked, not listed.
    expect(report.clients.some((c) => c.clientId === spa.clientId)).toBe(false);

    const page = await admin.page('/admin/keys');
    const section = page.body.slice(page.body.indexOf(`Before key <code>${kid}</code> activates`), page.body.indexOf('<h2>Rotate</h2>'));
    const table = (heading: string) => section.slice(section.indexOf(heading), section.indexOf('</table>', section.indexOf(heading)));
    expect(section).not.toBe('');
    expect(table('Applications that have not fetched the new key')).toContain(`Stale app &lt;script&gt;alert(1)&lt;/script&gt;`);
    expect(table('Applications that have not fetched the new key')).not.toContain('Ready app');
    expect(table('Applications never seen fetching the JWKS')).toContain('Nightly job');
    expect(table('Applications that have fetched the new key')).toContain('Ready app');
    expect(table('Applications that have fetched the new key')).toContain('<span class="badge badge-ok">ready</span>');
    expect(section).not.toContain('Single page');
    expect(page.body).not.toContain(XSS);
    expect(section).toContain(`href="/admin/clients/${stale.client.clientId}"`);
  });

  it('takes the address Express gives the request, on the fast path and through Express alike, whatever earlier hop a client forges', async () => {
    const fast: RelyingApp = { client: await addClient(app, { name: 'Behind the proxy (fast path)' }), userAgent: 'fast/1', address: '198.51.100.20' };
    const routed: RelyingApp = { client: await addClient(app, { name: 'Behind the proxy (Express)' }), userAgent: 'routed/1', address: '198.51.100.21' };
    expect(await authenticate(fast)).toBe(200);
    expect(await authenticate(routed)).toBe(200);
    // The proxy (loopback, trusted) appends the address it saw; a forged first hop is not believed.
    for (const [rp, path] of [
      [fast, '/jwks'],
      [routed, '/jwks?via=express'],
    ] as const) {
      const response = await fetch(`${app.config.issuer}${path}`, { headers: headersOf(rp, `203.0.113.66, ${rp.address}`) });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    await until((s) => s.get(fast.client.clientId)?.lastJwksFetchAt != null && s.get(routed.client.clientId)?.lastJwksFetchAt != null, 'both JWKS fetches');
    const rows = await queryRows<{ client_id: string; address: string; user_agent: string }>(
      app,
      'SELECT client_id, address, user_agent FROM client_sightings WHERE client_id IN (?, ?) ORDER BY user_agent',
      [fast.client.clientId, routed.client.clientId],
    );
    expect(rows).toEqual([
      { client_id: fast.client.clientId, address: '198.51.100.20', user_agent: 'fast/1' },
      { client_id: routed.client.clientId, address: '198.51.100.21', user_agent: 'routed/1' },
    ]);
  });

  it('records nothing for a refused client authentication, a public client, or a JWKS request that is not a GET', async () => {
    const head: RelyingApp = { client: await addClient(app, { name: 'Asks with HEAD' }), userAgent: 'head/1', address: '198.51.100.31' };
    expect(await authenticate(head)).toBe(200);
    for (const method of ['HEAD', 'OPTIONS']) {
      const response = await fetch(`${app.config.issuer}/jwks`, { method, headers: headersOf(head) });
      expect(response.ok).toBe(true);
      await response.arrayBuffer();
    }
    const victim = await addClient(app, { name: 'Victim' });
    const spa = await addClient(app, { name: 'Another single page', isPublic: true });
    const intruder: RelyingApp = { client: victim, userAgent: 'intruder/1', address: '203.0.113.9' };
    expect(await authenticate(intruder, 'wrong-secret')).toBe(401);
    const token = await fetch(`${app.config.issuer}/token`, {
      method: 'POST',
      headers: { ...headersOf({ userAgent: 'spa/1', address: '203.0.113.10' }), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'no-such-code', client_id: spa.clientId, redirect_uri: spa.redirectUri, code_verifier: 'x'.repeat(43) }).toString(),
    });
    expect(token.status).toBe(400);
    await token.arrayBuffer();
    // Writes happen in the order observed: once a later sighting is there, nothing earlier is still to come.
    const marker: RelyingApp = { client: await addClient(app, { name: 'Marker' }), userAgent: 'marker/1', address: '198.51.100.30' };
    expect(await authenticate(marker)).toBe(200);
    await until((s) => s.has(marker.client.clientId), 'the marker');
    expect((await app.store.clientSightings.summary(0)).find((c) => c.clientId === head.client.clientId)).toMatchObject({ lastJwksFetchAt: null });
    const rows = await queryRows<{ client_id: string }>(app, 'SELECT client_id FROM client_sightings WHERE client_id IN (?, ?) OR user_agent IN (?, ?)', [
      victim.clientId,
      spa.clientId,
      'intruder/1',
      'spa/1',
    ]);
    expect(rows).toEqual([]);
  });
});
