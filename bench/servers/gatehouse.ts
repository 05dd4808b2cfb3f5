// Gatehouse as a benchmark target: the bundled server (`npm start`) as a child process on a temp directory
// (SQLite) or a fresh PostgreSQL schema, with the bench user and one confidential client created beforehand
// through the same code the `idp` tool uses.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createClient } from '../../src/manage/clients.js';
import { createUser } from '../../src/manage/users.js';
import { packageRoot } from '../../src/paths.js';
import { openKeyStore, openStore } from '../../src/services.js';
import { freshPostgresSchema } from '../../test/helpers/postgres.js';
import { SERVER_ENTRY } from '../../test/helpers/processes.js';
import { BENCH_REDIRECT_URI, BENCH_USER, type Target } from '../target.js';
import { freePort, stopChild, waitForDiscovery } from './process.js';

export interface GatehouseOptions {
  /** A PostgreSQL database the bench may create a schema in; SQLite when absent. */
  databaseUrl?: string;
  /** Extra server environment (LOG_LEVEL, …). */
  env?: Record<string, string>;
  /** Extra node arguments, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to find where a target is missed. */
  nodeArgs?: string[];
  /** The server script, relative to the package root; when absent, what `npm start` runs (the bundle). */
  entry?: string;
}

export async function startGatehouse(options: GatehouseOptions = {}): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), ...options.env };
  let dropSchema = async (): Promise<void> => undefined;
  if (options.databaseUrl) {
    const schema = await freshPostgresSchema(options.databaseUrl);
    env.DATABASE_URL = schema.url;
    env.KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');
    dropSchema = schema.drop;
  }

  const config = loadConfig(env, dir);
  const store = await openStore(config);
  let clientId: string;
  let clientSecret: string;
  try {
    const ctx = { store, clock: systemClock, passwordMinLength: config.passwordMinLength, actor: 'bench', config };
    await createUser(ctx, { email: BENCH_USER.email, password: BENCH_USER.password, name: 'Bench User' });
    const created = await createClient(ctx, { name: 'Bench app', redirectUris: [BENCH_REDIRECT_URI] });
    clientId = created.client.clientId;
    clientSecret = created.clientSecret ?? '';
    // The signing key exists before the server starts, as the peer's does: cold start is a restart, not key generation.
    await openKeyStore(config, store).load(systemClock.now());
  } finally {
    await store.close();
  }

  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(packageRoot, options.entry ?? SERVER_ENTRY)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...env },
    cwd: packageRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const coldStartMs = await waitForDiscovery(issuer, child, started);
  const name = options.databaseUrl ? 'gatehouse-postgres' : 'gatehouse';
  return {
    name,
    issuer,
    client: { clientId, clientSecret, redirectUri: BENCH_REDIRECT_URI },
    user: BENCH_USER,
    process: child,
    coldStartMs,
    async stop() {
      await stopChild(child);
      await dropSchema();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
