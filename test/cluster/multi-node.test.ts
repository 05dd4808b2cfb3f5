// Two Gatehouse processes (`npm start`) on different loopback ports sharing one PostgreSQL schema, behind one
// issuer: a small balancer the test steers, so each step names the node that serves it. Every node must behave
// as if it were the only one.
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import { Browser } from '../helpers/browser.js';
import { authorizationUrl, discoverAs, hasSession, open, PASSWORD, redeem, redeemRaw, submitLogin, type Issuer, type TestClient } from '../helpers/oidc.js';
import { freshPostgresSchema, TEST_DATABASE_URL, TEST_KEY_ENCRYPTION_KEY, type TestSchema } from '../helpers/postgres.js';
import { freePort, runIdp, spawnServer, waitUntilServing, type ServerProcess } from '../helpers/processes.js';
import { basic, refresh, tokensFor } from '../helpers/refresh.js';
import { tempDir } from '../helpers/temp-dir.js';

const SIGNED_OUT_URI = 'https://wiki.example/signed-out';
/** KEY_REFRESH_INTERVAL of both nodes, seconds. */
const KEY_REFRESH_INTERVAL = 2;

interface Node {
  name: 'a' | 'b';
  url: string;
  process: ServerProcess;
}

async function jwksKids(url: string): Promise<string[]> {
  return ((await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

describe.skipIf(!TEST_DATABASE_URL)('several Gatehouse nodes on one PostgreSQL database, behind one issuer', () => {
  let schema: TestSchema;
  let balancer: Balancer;
  let env: Record<string, string>;
  let idp: Issuer;
  let a: Node;
  let b: Node;
  let client: TestClient;
  let removeDir: () => void = () => undefined;
  /** The browser that signs in on node A. */
  const browser = new Browser();

  const on = (node: Node) => balancer.route(node.name);
  const lastServedBy = () => balancer.served.at(-1);

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const connection = new pg.Client({ connectionString: schema.url });
    await connection.connect();
    try {
      return (await connection.query(text, params)).rows as T[];
    } finally {
      await connection.end();
    }
  }

  /** Whether both nodes' JWKS come to satisfy `check` within three refresh periods (polled every 100 ms). */
  async function bothNodes(check: (kids: string[]) => boolean): Promise<boolean> {
    for (let i = 0; i < KEY_REFRESH_INTERVAL * 3 * 10; i++) {
      if (check(await jwksKids(a.url)) && check(await jwksKids(b.url))) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  const signedIn = (as: Browser) => hasSession(as, idp, client);

  beforeAll(async () => {
    schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
    const dir = tempDir();
    removeDir = dir.remove;
    const [portA, portB] = [await freePort(), await freePort()];
    const nodes = { a: `http://127.0.0.1:${portA}`, b: `http://127.0.0.1:${portB}` };
    balancer = await startBalancer(nodes);
    idp = { config: { issuer: balancer.url } };
    env = {
      ISSUER: balancer.url,
      HOST: '127.0.0.1',
      DATABASE_URL: schema.url,
      DATABASE_POOL_SIZE: '4',
      KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      KEY_REFRESH_INTERVAL: String(KEY_REFRESH_INTERVAL),
      // Neither node may rely on a file: DATA_DIR and KEYS_DIR point at nothing either one writes.
      DATA_DIR: path.join(dir.dir, 'data'),
      KEYS_DIR: path.join(dir.dir, 'keys'),
    };
    // Both nodes start at once on an empty database: the advisory lock lets exactly one migrate.
    const start = (name: 'a' | 'b', port: number): Node => ({ name, url: nodes[name], process: spawnServer({ ...env, PORT: String(port) }) });
    [a, b] = [start('a', portA), start('b', portB)];
    await Promise.all([a, b].map((node) => waitUntilServing(`${node.url}/.well-known/openid-configuration`, node.process, 300)));

    expect((await runIdp(['user', 'create', '--email', 'ada@example.com', '--password', PASSWORD, '--name', 'Ada Lovelace'], env)).code).toBe(0);
    const created = await runIdp(['client', 'create', '--name', 'Team wiki', '--redirect-uri', 'https://wiki.example/callback', '--post-logout-redirect-uri', SIGNED_OUT_URI, '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    client = await discoverAs(idp, clientId, clientSecret, 'https://wiki.example/callback');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.process.stop(), b?.process.stop()]);
    await balancer?.close();
    await schema?.drop();
    removeDir();
  });

  it('migrates the shared database exactly once when both nodes start together', async () => {
    const applied = await sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((row) => Number(row.version))).toEqual(readMigrations('postgres').map((migration) => migration.version));
    // Both nodes serve the one first key, which they agreed on when both found the database empty.
    const first = await jwksKids(a.url);
    expect(first).toHaveLength(1);
    expect(await jwksKids(b.url)).toEqual(first);
  });

  it('signs a person in on node A and answers node B without a form (single sign-on)', async () => {
    on(a);
    const start = await authorizationUrl(client);
    const login = await open(browser, idp, start.url);
    expect(lastServedBy()).toBe('a');
    const answer = await submitLogin(browser, login, 'ada@example.com');
    expect(answer.status, answer.body).toBe(303);

    on(b);
    const second = await authorizationUrl(client);
    const silent = await open(browser, idp, second.url);
    expect(lastServedBy()).toBe('b');
    expect(silent.status, silent.body).toBe(303);
    const callback = new URL(silent.location ?? '');
    expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts at node B the login form node A showed: the pending sign-in and its CSRF token are no node’s own', async () => {
    const elsewhere = new Browser();
    on(a);
    const start = await authorizationUrl(client);
    const login = await open(elsewhere, idp, start.url);
    expect(lastServedBy()).toBe('a');
    expect(login.status, login.body).toBe(200);
    on(b);
    const answer = await submitLogin(elsewhere, login, 'ada@example.com');
    expect(lastServedBy()).toBe('b');
    expect(answer.status, answer.body).toBe(303);
    expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('redeems a code issued by node A at node B exactly once: the second redemption, at A, is invalid_grant', async () => {
    on(a);
    const start = await authorizationUrl(client);
    const page = await open(browser, idp, start.url);
    expect(page.status, page.body).toBe(303);
    const callback = new URL(page.location ?? '');

    on(b);
    // openid-client verifies the ID token's signature against the JWKS node B serves.
    const tokens = await redeem(client, callback, start);
    expect(lastServedBy()).toBe('b');
    expect(tokens.claims()?.iss).toBe(balancer.url);

    on(a);
    const again = await redeemRaw(idp, client, callback.searchParams.get('code') ?? '', start);
    expect(lastServedBy()).toBe('a');
    expect(again.error).toBe('invalid_grant');
    // RFC 6749 §4.1.2: the replay revokes what the first redemption issued, wherever it was issued.
    on(b);
    expect((await fetch(`${balancer.url}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  it('rotates a refresh token on node A; reusing the old one on node B revokes the whole family', async () => {
    const fresh = await tokensFor(idp, client, browser, 'openid email offline_access');
    on(a);
    const rotated = await refresh(idp, client, fresh.refresh_token);
    expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
    expect(lastServedBy()).toBe('a');

    on(b);
    const reused = await refresh(idp, client, fresh.refresh_token);
    expect(lastServedBy()).toBe('b');
    expect(reused.json.error).toBe('invalid_grant');

    on(a);
    const successor = await refresh(idp, client, rotated.json.refresh_token ?? '');
    expect(successor.json.error).toBe('invalid_grant');
  });

  it('ends the session on node A when the person signs out at node B', async () => {
    on(a);
    const tokens = await tokensFor(idp, client, browser, 'openid email');
    expect(await signedIn(browser)).toBe(true);

    on(b);
    const answer = await browser.get(`${balancer.url}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: SIGNED_OUT_URI })}`);
    expect(lastServedBy()).toBe('b');
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(SIGNED_OUT_URI);

    on(a);
    expect(await signedIn(browser)).toBe(false);
    expect(lastServedBy()).toBe('a');
    // The tokens of the ended session are refused on A too.
    expect((await fetch(`${a.url}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    expect((await refresh(idp, client, tokens.refresh_token)).json.error).toBe('invalid_grant');
  });

  it('serves on both nodes, within KEY_REFRESH_INTERVAL, a key rotated on node A with its idp tool, and withdraws it there once revoked', async () => {
    const rotated = await runIdp(['keys', 'rotate', '--json'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    expect(await bothNodes((kids) => kids.includes(kid)), 'both nodes publish the new key').toBe(true);
    // The key is prepublished: both nodes still sign with the key that was active before.
    const fresh = await tokensFor(idp, client, browser, 'openid email');
    expect(decodeProtectedHeader(fresh.id_token).kid).not.toBe(kid);

    // A revocation made elsewhere reaches both nodes the same way.
    const revoked = await runIdp(['keys', 'revoke', kid], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await bothNodes((kids) => !kids.includes(kid)), 'both nodes withdraw the revoked key').toBe(true);
  });

  it('lets exactly one of 50 concurrent redemptions of the same code win, spread over both nodes', async () => {
    on(a);
    const start = await authorizationUrl(client, { scope: 'openid email' });
    const page = await open(browser, idp, start.url);
    const answer = page.status === 200 ? await submitLogin(browser, page, 'ada@example.com') : page;
    const code = new URL(answer.location ?? '').searchParams.get('code') ?? '';
    expect(code).not.toBe('');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: start.codeVerifier }).toString();
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret ?? '') };
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const response = await fetch(`${(i % 2 === 0 ? a : b).url}/token`, { method: 'POST', headers, body });
        return { status: response.status, json: (await response.json()) as Record<string, string> };
      }),
    );
    const winners = answers.filter((x) => x.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((x) => x.status === 400 && x.json.error === 'invalid_grant')).toHaveLength(49);
    // RFC 6749 §4.1.2: the losers' replays revoke what the winner got, whichever node issued it.
    const [winner] = winners;
    expect((await fetch(`${b.url}/userinfo`, { headers: { Authorization: `Bearer ${winner?.json.access_token}` } })).status).toBe(401);
  });
});
