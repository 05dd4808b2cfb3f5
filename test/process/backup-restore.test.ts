// A backup taken under load is what remains after a crash (issue 26): the compiled server runs, sign-ins and token
// requests keep it writing, `idp backup` copies the store meanwhile, and the server is killed (SIGKILL) while the
// load goes on. The crashed data directory is moved aside, the backup restored into a new one with the same
// KEYS_DIR, and a new server signs the person in with a real code flow. What was written after the backup is gone;
// what was there before it is back. `npm run build` first (test/helpers/processes.ts).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { authorizationUrl, discoverAs, PASSWORD, redeem, signIn, type Issuer, type TestClient } from '../helpers/oidc.js';
import { freePort, runIdp, spawnServer, waitUntilServing, type ServerProcess } from '../helpers/processes.js';
import { refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Sign-in rounds at most (each about five requests: authorize, login page, login, token, refresh); the kill comes long before. */
const MAX_ROUNDS = 150;
const WORKERS = 4;

/**
 * Sign-ins and token requests from WORKERS loops, each round a new browser through the login form, a code redeemed
 * and the refresh token used once: every round writes sessions, codes, tokens and audit events. Bounded by
 * MAX_ROUNDS; once `killed()` is set, a failed request ends a loop quietly, and before it any failure is the test's.
 */
class Load {
  rounds = 0;
  private killedAt: number | null = null;
  private failure: unknown = null;
  private waiters: { rounds: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly finished: Promise<void>;

  constructor(issuer: Issuer, client: TestClient) {
    this.finished = Promise.all(Array.from({ length: WORKERS }, () => this.worker(issuer, client))).then(() => {
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`the load ended after ${this.rounds} rounds`));
    });
  }

  private async worker(issuer: Issuer, client: TestClient): Promise<void> {
    while (this.killedAt === null && this.failure === null && this.rounds < MAX_ROUNDS) {
      try {
        const tokens = await tokensFor(issuer, client, new Browser(), 'openid email offline_access');
        expect((await refresh(issuer, client, tokens.refresh_token)).status).toBe(200);
      } catch (error) {
        if (this.killedAt === null) this.failure ??= error;
        return;
      }
      this.rounds++;
      for (const waiter of this.waiters.filter((w) => this.rounds >= w.rounds)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves once `rounds` rounds are done; fails if the load ends first. */
  reached(rounds: number): Promise<void> {
    if (this.rounds >= rounds) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ rounds, resolve, reject }));
  }

  get running(): boolean {
    return this.killedAt === null && this.failure === null && this.rounds < MAX_ROUNDS;
  }

  killed(): void {
    this.killedAt = this.rounds;
  }

  /** The first failure before the kill, if any. */
  get error(): unknown {
    return this.failure;
  }
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('backup during load, a killed server, and the restore (the compiled server and idp tool)', () => {
  let dir: string;
  let remove: () => void;
  const servers: ServerProcess[] = [];

  beforeEach(() => {
    ({ dir, remove } = tempDir());
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    remove();
  });

  it('restores the backup taken under load into a new DATA_DIR after a SIGKILL, and the person signs in there', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const issuer: Issuer = { config: { issuer: url } };
    const env = { DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), PORT: String(port), HOST: '127.0.0.1', ISSUER: url };
    const start = async () => {
      const server = spawnServer(env);
      servers.push(server);
      await waitUntilServing(`${url}/.well-known/openid-configuration`, server);
      return server;
    };

    const server = await start();
    const user = await runIdp(['user', 'create', '--email', 'ada@example.com', '--password', PASSWORD, '--json'], env);
    expect(user.code, user.stderr).toBe(0);
    const { id: userId } = JSON.parse(user.stdout) as { id: string };
    const made = await runIdp(['client', 'create', '--name', 'Team wiki', '--redirect-uri', 'https://wiki.example/callback', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const created = JSON.parse(made.stdout) as { client_id: string; client_secret: string };
    const client = await discoverAs(issuer, created.client_id, created.client_secret, 'https://wiki.example/callback');
    // A grant from before the backup, never used: the restored store must know it.
    const before: Tokens = await tokensFor(issuer, client, new Browser(), 'openid email offline_access');

    const load = new Load(issuer, client);
    await load.reached(5);
    const backupFile = path.join(dir, 'gatehouse.backup');
    const backup = await runIdp(['backup', '--output', backupFile, '--json'], env);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(load.running).toBe(true);
    // A grant made after the backup, and more rounds of load: written to the store the kill leaves behind.
    const after: Tokens = await tokensFor(issuer, client, new Browser(), 'openid email offline_access');
    await load.reached(load.rounds + 2);
    expect(load.running).toBe(true);
    load.killed();
    server.child.kill('SIGKILL');
    expect(await server.stop()).toBeNull();
    await load.finished;
    expect(load.error).toBeNull();

    // The crashed store goes aside; the backup goes into a new DATA_DIR, beside the same KEYS_DIR.
    renameSync(env.DATA_DIR, path.join(dir, 'data.crashed'));
    const restored = await runIdp(['restore', '--input', backupFile, '--json'], env);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ input: backupFile, file: path.join(env.DATA_DIR, 'idp.sqlite'), signing_keys: 1 });

    const again = await start();
    const rp = await discoverAs(issuer, client.clientId, client.clientSecret, client.redirectUri);
    const begun = await authorizationUrl(rp);
    const tokens = await redeem(rp, await signIn(new Browser(), issuer, begun, 'ada@example.com'), begun);
    expect(tokens.claims()).toMatchObject({ sub: userId, email: 'ada@example.com', iss: url });
    // The backup is a point in time: the grant from before it refreshes, the one from after it is unknown.
    expect((await refresh(issuer, client, before.refresh_token)).status).toBe(200);
    expect((await refresh(issuer, client, after.refresh_token)).json).toMatchObject({ error: 'invalid_grant' });
    expect(await again.stop()).toBe(0);

    // A second restore finds a store that holds data: refused, and the store is as it was, byte for byte.
    const database = path.join(env.DATA_DIR, 'idp.sqlite');
    const held = sha256(database);
    const refused = await runIdp(['restore', '--input', backupFile], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^idp: the configured store is not empty \(1 users, /);
    expect(sha256(database)).toBe(held);
    expect(readdirSync(env.DATA_DIR)).toEqual(['idp.sqlite']);
    // Two server starts, six idp processes and the load: well over the default 30 s on a busy 2-core machine.
  }, 120_000);
});
