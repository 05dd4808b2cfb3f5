// oidc-provider (panva, v9) as a benchmark target: bench/peer/oidc-provider-server.ts as a child process, configured
// as Gatehouse is (RS256 RSA-2048 key, one confidential client, PKCE required, argon2id m=19456 t=2 p=1, no consent
// page). The key and the password hash are made here, before the spawn: cold start is a restart, not key generation.
// Two set-ups (issue 27, bench/peer/same-work.ts): 'default' (in memory, opaque access tokens) and 'same-work'
// (JWT access tokens, stored durably in a SQLite file in a temp directory, or in a fresh PostgreSQL schema when
// a databaseUrl is given; either is removed on stop). A target can be restarted on the same port, database, keys
// and cookie key, so that what the peer stored must carry a session and a refresh token across the restart.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { packageRoot } from '../../src/paths.js';
import { freshPostgresSchema } from '../../test/helpers/postgres.js';
import type { PeerSetup } from '../peer/same-work.js';
import { BENCH_REDIRECT_URI, BENCH_USER, type Target, type TargetName } from '../target.js';
import { freePort, stopChild, waitForDiscovery } from './process.js';

export interface OidcProviderOptions {
  /** 'default' when absent. */
  setup?: PeerSetup;
  /** same-work only: a PostgreSQL database the bench may create a schema in; a SQLite file when absent. */
  databaseUrl?: string;
  /** Extra node arguments, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
}

/** What stays the same across a restart: the server's whole environment, and what stop removes. */
interface PeerState {
  name: TargetName;
  issuer: string;
  env: Record<string, string>;
  nodeArgs: string[];
  clientId: string;
  clientSecret: string;
  cleanup(): Promise<void>;
}

export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<Target> {
  const setup = options.setup ?? 'default';
  if (setup === 'default' && options.databaseUrl) throw new Error('a databaseUrl is for the same-work set-up; the default set-up stores in memory');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  // Gatehouse's parameters (src/auth/password-hash.ts), and its NFKC normalisation.
  const passwordHash = await argon2.hash(BENCH_USER.password.normalize('NFKC'), { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const clientId = randomUUID();
  const clientSecret = randomBytes(32).toString('base64url');
  const env: Record<string, string> = {
    PORT: String(port),
    ISSUER: issuer,
    CLIENT_ID: clientId,
    CLIENT_SECRET: clientSecret,
    REDIRECT_URI: BENCH_REDIRECT_URI,
    USER_EMAIL: BENCH_USER.email,
    USER_NAME: 'Bench User',
    USER_ID: randomUUID(),
    PASSWORD_HASH: passwordHash,
    SIGNING_JWK: JSON.stringify(jwk),
    COOKIE_KEY: randomBytes(32).toString('base64url'),
    PEER_SETUP: setup,
  };

  let name: TargetName = 'oidc-provider';
  let cleanup = async (): Promise<void> => undefined;
  if (setup === 'same-work' && options.databaseUrl) {
    const schema = await freshPostgresSchema(options.databaseUrl);
    env.PEER_DATABASE = `postgres:${schema.url}`;
    name = 'oidc-provider-same-work-postgres';
    cleanup = schema.drop;
  } else if (setup === 'same-work') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oidc-provider-bench-'));
    env.PEER_DATABASE = `sqlite:${path.join(dir, 'peer.sqlite')}`;
    name = 'oidc-provider-same-work';
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const state: PeerState = { name, issuer, env, nodeArgs: options.nodeArgs ?? [], clientId, clientSecret, cleanup };
  try {
    return await spawnPeer(state);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Starts the peer process for `state`; its cold start is measured from the spawn. */
async function spawnPeer(state: PeerState): Promise<Target> {
  const started = performance.now();
  const child = spawn(process.execPath, [...state.nodeArgs, path.join(packageRoot, 'dist/bench/peer/oidc-provider-server.js')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...state.env },
    cwd: packageRoot,
    // Its start-up notices go to stdout (ignored); warnings and server errors to stderr, kept for a failed start.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const coldStartMs = await waitForDiscovery(state.issuer, child, started);
  return {
    name: state.name,
    issuer: state.issuer,
    client: { clientId: state.clientId, clientSecret: state.clientSecret, redirectUri: BENCH_REDIRECT_URI },
    user: BENCH_USER,
    process: child,
    coldStartMs,
    async stop() {
      await stopChild(child);
      await state.cleanup();
    },
    // The same port: the issuer, and so the session cookie's origin and every token's `iss`, stay the same.
    async restart() {
      await stopChild(child);
      return spawnPeer(state);
    },
  };
}
