// Race-free single use across two Gatehouse processes on one PostgreSQL database (issue 20): in each of 200
// rounds, 2 to 10 presentations of one authorization code, then of one refresh token, are sent at once, split
// between the two nodes. At most one succeeds, and after a detected reuse no token of the grant is left alive
// (RFC 6749 §4.1.2, RFC 9700 §4.14.2). The store-level proof of every other single-use object, on both engines,
// is test/store/single-use-stress.test.ts. Bounded: 200 rounds each, no timing asserted.
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import { Browser } from '../helpers/browser.js';
import { authorizationUrl, discoverAs, open, PASSWORD, submitLogin, type AuthorizationStart, type Issuer, type TestClient } from '../helpers/oidc.js';
import { freshPostgresSchema, TEST_DATABASE_URL, TEST_KEY_ENCRYPTION_KEY, type TestSchema } from '../helpers/postgres.js';
import { freePort, runIdp, spawnServer, waitUntilServing, type ServerProcess } from '../helpers/processes.js';
import { basic } from '../helpers/refresh.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROUNDS = 200;

/** 2 to 10 presentations, the same sequence on every run: a failure can be replayed. */
const presentationsIn = (round: number) => 2 + ((round * 5) % 9);

describe.skipIf(!TEST_DATABASE_URL)('single use across two nodes on one PostgreSQL database, under concurrency', () => {
  let schema: TestSchema;
  let balancer: Balancer;
  let idp: Issuer;
  let nodes: { url: string; process: ServerProcess }[] = [];
  let client: TestClient;
  let db: pg.Client;
  let removeDir: () => void = () => undefined;
  const browser = new Browser();

  /** A token request to one node directly. */
  async function tokenAt(node: number, form: Record<string, string>): Promise<{ status: number; json: Record<string, string> }> {
    const response = await fetch(`${nodes[node]?.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret ?? '') },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, json: (await response.json()) as Record<string, string> };
  }

  /** A fresh code by single sign-on (the browser signed in once, in beforeAll). */
  async function freshCode(): Promise<{ code: string; start: AuthorizationStart }> {
    const start = await authorizationUrl(client, { scope: 'openid offline_access' });
    const page = await open(browser, idp, start.url);
    expect(page.status, page.body).toBe(303);
    return { code: new URL(page.location ?? '').searchParams.get('code') ?? '', start };
  }

  const redemption = ({ code, start }: { code: string; start: AuthorizationStart }) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: start.codeVerifier,
  });

  /** The grant's tokens still alive, read from the shared database. */
  async function liveTokens(grantId: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM refresh_tokens WHERE grant_id = $1 AND revoked_at IS NULL AND rotated_at IS NULL)
            + (SELECT count(*) FROM access_tokens WHERE grant_id = $1 AND revoked_at IS NULL) AS n`,
      [grantId],
    );
    return Number(rows[0]?.n);
  }

  const grantOfCode = async (code: string) => (await db.query<{ grant_id: string }>('SELECT grant_id FROM authorization_codes WHERE code_hash = $1', [hashSecret(code)])).rows[0]?.grant_id ?? '';

  beforeAll(async () => {
    schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
    const dir = tempDir();
    removeDir = dir.remove;
    const ports = [await freePort(), await freePort()];
    balancer = await startBalancer({ a: `http://127.0.0.1:${ports[0]}`, b: `http://127.0.0.1:${ports[1]}` });
    idp = { config: { issuer: balancer.url } };
    const env = {
      ISSUER: balancer.url,
      HOST: '127.0.0.1',
      DATABASE_URL: schema.url,
      DATABASE_POOL_SIZE: '6',
      KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      DATA_DIR: path.join(dir.dir, 'data'),
      KEYS_DIR: path.join(dir.dir, 'keys'),
    };
    nodes = ports.map((port) => ({ url: `http://127.0.0.1:${port}`, process: spawnServer({ ...env, PORT: String(port) }) }));
    await Promise.all(nodes.map((node) => waitUntilServing(`${node.url}/.well-known/openid-configuration`, node.process, 300)));
    expect((await runIdp(['user', 'create', '--email', 'ada@example.com', '--password', PASSWORD], env)).code).toBe(0);
    const created = await runIdp(['client', 'create', '--name', 'Stress', '--redirect-uri', 'https://rp.example/cb', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    client = await discoverAs(idp, clientId, clientSecret, 'https://rp.example/cb');
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    const start = await authorizationUrl(client);
    expect((await submitLogin(browser, await open(browser, idp, start.url), 'ada@example.com')).status).toBe(303);
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await Promise.all(nodes.map((node) => node.process.stop()));
    await balancer?.close();
    await schema?.drop();
    removeDir();
  });

  it('redeems each code at most once, and a replay leaves none of its tokens alive', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const issued = await freshCode();
      const answers = await Promise.all(Array.from({ length: presentationsIn(round) }, (_, i) => tokenAt(i % 2, redemption(issued))));
      const won = answers.filter((answer) => answer.status === 200);
      expect(won.length, `round ${round}: ${JSON.stringify(answers.map((a) => a.status))}`).toBeLessThanOrEqual(1);
      for (const answer of answers) if (answer.status !== 200) expect(answer.json.error, `round ${round}`).toBe('invalid_grant');
      expect(await liveTokens(await grantOfCode(issued.code)), `round ${round}: a token of a replayed code lives`).toBe(0);
    }
  }, 600_000);

  it('rotates each refresh token at most once, and a reuse leaves its family nothing alive', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const issued = await freshCode();
      const first = await tokenAt(round % 2, redemption(issued));
      expect(first.status, JSON.stringify(first.json)).toBe(200);
      const refreshToken = first.json.refresh_token ?? '';
      const answers = await Promise.all(Array.from({ length: presentationsIn(round) }, (_, i) => tokenAt(i % 2, { grant_type: 'refresh_token', refresh_token: refreshToken })));
      const won = answers.filter((answer) => answer.status === 200);
      expect(won.length, `round ${round}: ${JSON.stringify(answers.map((a) => a.status))}`).toBeLessThanOrEqual(1);
      for (const answer of answers) if (answer.status !== 200) expect(answer.json.error, `round ${round}`).toBe('invalid_grant');
      expect(await liveTokens(await grantOfCode(issued.code)), `round ${round}: a token of a reused family lives`).toBe(0);
    }
  }, 600_000);
});
