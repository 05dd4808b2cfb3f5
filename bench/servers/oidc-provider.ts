// oidc-provider (panva, v9) as a benchmark target: bench/peer/oidc-provider-server.ts as a child process, configured
// as Gatehouse is (RS256 RSA-2048 key, one confidential client, PKCE required, argon2id m=19456 t=2 p=1, no consent
// page). The key and the password hash are made here, before the spawn: cold start is a restart, not key generation.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import argon2 from 'argon2';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { packageRoot } from '../../src/paths.js';
import { BENCH_REDIRECT_URI, BENCH_USER, type Target } from '../target.js';
import { freePort, stopChild, waitForDiscovery } from './process.js';

export async function startOidcProvider(): Promise<Target> {
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
    PASSWORD_HASH: passwordHash,
    SIGNING_JWK: JSON.stringify(jwk),
    COOKIE_KEY: randomBytes(32).toString('base64url'),
  };

  const started = performance.now();
  const child = spawn(process.execPath, [path.join(packageRoot, 'dist/bench/peer/oidc-provider-server.js')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    cwd: packageRoot,
    // Its start-up notices go to stdout (ignored); warnings and server errors to stderr, kept for a failed start.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const coldStartMs = await waitForDiscovery(issuer, child, started);
  return {
    name: 'oidc-provider',
    issuer,
    client: { clientId, clientSecret, redirectUri: BENCH_REDIRECT_URI },
    user: BENCH_USER,
    process: child,
    coldStartMs,
    stop: () => stopChild(child),
  };
}
