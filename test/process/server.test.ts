import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import { exitOf, freePort, runIdp, spawnServer, waitUntilServing, type ServerProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const GOOD_PASSWORD = 'correct horse battery staple';

describe('the server process (npm start) with the idp tool beside it', () => {
  let dir: string;
  let remove: () => void;
  let env: Record<string, string>;
  let url: string;
  const servers: ServerProcess[] = [];

  async function start(extra: Record<string, string> = {}): Promise<ServerProcess> {
    const server = spawnServer({ ...env, ...extra });
    servers.push(server);
    await waitUntilServing(`${url}/.well-known/openid-configuration`, server);
    return server;
  }
  const kids = async () => ((await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), PORT: String(port), HOST: '127.0.0.1', ISSUER: url };
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    remove();
  });

  it('serves discovery and JWKS, and lets the idp tool create an admin and a client while it runs', async () => {
    const server = await start();
    const metadata = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(metadata.issuer).toBe(url);
    expect((await fetch(metadata.jwks_uri)).status).toBe(200);
    const user = await runIdp(['user', 'create', '--email', 'root@example.com', '--password', GOOD_PASSWORD, '--admin', '--json'], env);
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ email: 'root@example.com', admin: true });
    const client = await runIdp(['client', 'create', '--name', 'App', '--redirect-uri', 'https://app.example.com/cb', '--json'], env);
    expect(client.code).toBe(0);
    expect(JSON.parse(client.stdout)).toHaveProperty('client_secret');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('shares the database safely: several idp processes write at once while the server runs', async () => {
    await start();
    const results = await Promise.all([1, 2, 3, 4].map((n) => runIdp(['user', 'create', '--email', `user${n}@example.com`, '--password', GOOD_PASSWORD, '--json'], env)));
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    const listed = JSON.parse((await runIdp(['user', 'list', '--json'], env)).stdout) as { users: { email: string }[] };
    expect(listed.users.map((u) => u.email)).toEqual(['user1@example.com', 'user2@example.com', 'user3@example.com', 'user4@example.com']);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('keeps its signing key across restarts', async () => {
    const first = await start();
    const before = await kids();
    expect(before).toHaveLength(1);
    expect(await first.stop()).toBe(0);
    await start();
    expect(await kids()).toEqual(before);
  });

  it('publishes a key scheduled with `idp keys rotate` without a restart, while the previous key keeps signing', async () => {
    await start();
    const [previous] = await kids();
    const rotated = await runIdp(['keys', 'rotate', '--json'], env);
    expect(rotated.code).toBe(0);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    let published: string[] = [];
    for (let i = 0; i < 60 && published.length < 2; i++) {
      published = await kids();
      if (published.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(published.sort()).toEqual([previous, kid].sort());
    const listed = JSON.parse((await runIdp(['keys', 'list', '--json'], env)).stdout) as { keys: { kid: string; state: string }[] };
    expect(listed.keys.map((k) => [k.kid, k.state])).toEqual([
      [kid, 'pending'],
      [previous, 'active'],
    ]);
  });

  it('applies migrations with `idp migrate` once, and reports nothing to do afterwards', async () => {
    const first = await runIdp(['migrate', '--json'], env);
    expect(first.code).toBe(0);
    const versions = readMigrations('sqlite').map((migration) => migration.version);
    expect(versions.length).toBeGreaterThanOrEqual(5);
    expect(JSON.parse(first.stdout)).toEqual({ applied: versions, version: versions.at(-1) });
    expect(JSON.parse((await runIdp(['migrate', '--json'], env)).stdout)).toEqual({ applied: [], version: versions.at(-1) });
  });

  describe('refuses to start, with one line naming the problem and exit code 1', () => {
    const refusals: [string, Record<string, string>, RegExp][] = [
      ['a PORT that is not a number', { PORT: 'abc' }, /^gatehouse: configuration error: PORT must be a whole number from 1 to 65535 \(got "abc"\)$/],
      ['an http ISSUER on a public host', { ISSUER: 'http://idp.example.com' }, /^gatehouse: configuration error: ISSUER must use https unless the host is localhost/],
      ['DATABASE_URL without KEY_ENCRYPTION_KEY', { DATABASE_URL: 'postgres://localhost/idp' }, /^gatehouse: configuration error: KEY_ENCRYPTION_KEY is required with DATABASE_URL/],
      [
        'a TLS certificate file that cannot be read',
        { TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' },
        /^gatehouse: configuration error: TLS_CERT_FILE cannot be read/,
      ],
    ];
    for (const [what, extra, message] of refusals) {
      it(`refuses ${what}`, async () => {
        const server = spawnServer({ ...env, ...extra });
        servers.push(server);
        expect(await exitOf(server)).toBe(1);
        const lines = server.output().trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(message);
      });
    }

    it('refuses a corrupted signing key file instead of making a new key', async () => {
      const first = await start();
      await first.stop();
      const keysDir = path.join(dir, 'keys');
      const pem = readdirSync(keysDir).find((file) => file.endsWith('.key.pem')) ?? '';
      writeFileSync(path.join(keysDir, pem), '-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n');
      const before = readdirSync(keysDir).sort();
      const server = spawnServer(env);
      servers.push(server);
      expect(await exitOf(server)).toBe(1);
      expect(server.output().trim()).toBe(`gatehouse: signing key file ${path.join(keysDir, pem)} is corrupted: it is not a PKCS#8 RSA private key`);
      expect(readdirSync(keysDir).sort()).toEqual(before);
    });

    it('refuses a port that is already in use', async () => {
      await start();
      const second = spawnServer(env);
      servers.push(second);
      expect(await exitOf(second)).toBe(1);
      expect(second.output().trim()).toMatch(/^gatehouse: configuration error: PORT \d+ is already in use on 127\.0\.0\.1$/);
    });
  });

  it('serves HTTPS itself when TLS_CERT_FILE and TLS_KEY_FILE are set', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], {
      stdio: 'ignore',
    });
    const port = env.PORT;
    const server = spawnServer({ ...env, ISSUER: '', TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    servers.push(server);
    const get = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', servername: 'localhost', port, path: '/.well-known/openid-configuration', ca: readFileSync(cert, 'utf8') }, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
    let answer: { status: number; body: string } | undefined;
    for (let i = 0; i < 100 && !answer; i++) {
      answer = await get().catch(() => undefined);
      if (!answer) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer?.status).toBe(200);
    // With TLS and no ISSUER, the default issuer is https.
    expect((JSON.parse(answer?.body ?? '{}') as { issuer: string }).issuer).toBe(`https://localhost:${port}`);
  });
});
