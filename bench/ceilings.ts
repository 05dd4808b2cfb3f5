// What the machine can do at most, measured in the same run as the servers and while they are idle: RS256
// signatures per second from OpenSSL itself (`openssl speed rsa2048`, one core and `-multi <cores>`: the
// physical limit), from jose's SignJWT as oidc-provider signs (1, the thread pool's size and 16 in flight; Gatehouse
// makes the same OpenSSL call through node:crypto's sign, src/tokens/sign-jwt.ts), and
// argon2id verifications per second with Gatehouse's parameters at the pool's size. A server can approach these
// ceilings, never pass them; only ceilings from the same run on the same machine mean anything (issue 27).
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import { generateKeyPair, SignJWT } from 'jose';

/** libuv's thread pool: WebCrypto signing and argon2 run there, so this many run at once. */
export const POOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

export interface Ceilings {
  cores: number;
  /** `openssl speed rsa2048`, sign/s on one core. */
  opensslSingle: number;
  /** `openssl speed -multi <cores> rsa2048`, sign/s summed over the cores. */
  opensslMulti: number;
  /** jose SignJWT RS256 signatures/s with 1, POOL and 16 signatures in flight. */
  jose: { one: number; pool: number; sixteen: number };
  /** argon2id verifications/s (m=19456, t=2, p=1) with POOL in flight. */
  argon2: number;
  pool: number;
}

const run = promisify(execFile);

/**
 * The "sign/s" figure of the "rsa 2048 bits" line of `openssl speed` (the figure under the header's "sign/s",
 * wherever newer versions put their extra columns). With -multi, OpenSSL sums its children's rates on that line.
 */
export function parseOpensslSpeed(output: string): number {
  const lines = output.split('\n');
  const header = lines.find((line) => /\bsign\/s\b/.test(line));
  const row = lines.find((line) => /^rsa\s+2048 bits\s/.test(line.trim()));
  if (!header || !row) throw new Error(`no "rsa 2048 bits" line under a sign/s header in the output of openssl speed:\n${output}`);
  const column = header.trim().split(/\s+/).indexOf('sign/s');
  const value = Number(
    row
      .trim()
      .replace(/^rsa\s+2048 bits\s+/, '')
      .split(/\s+/)[column],
  );
  if (!Number.isFinite(value) || value <= 0) throw new Error(`openssl speed: no sign/s figure in "${row}"`);
  return value;
}

/** RSA-2048 private-key operations per second from OpenSSL's own loop, on one core or on `multi` processes. */
export async function opensslSign(seconds: number, multi?: number): Promise<number> {
  const args = ['speed', '-seconds', String(seconds), ...(multi ? ['-multi', String(multi)] : []), 'rsa2048'];
  // It also times verification for as long: at most about 2 × seconds, plus the children's start.
  const { stdout } = await run('openssl', args, { timeout: (seconds * 2 + 30) * 1000, maxBuffer: 1 << 20 });
  return parseOpensslSpeed(stdout);
}

export async function opensslVersion(): Promise<string> {
  try {
    return (await run('openssl', ['version'])).stdout.trim();
  } catch {
    return 'openssl not found';
  }
}

async function perSecond(durationMs: number, concurrency: number, work: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / (durationMs / 1000);
}

/** jose SignJWT RS256 (WebCrypto, on the thread pool) with `inFlight` signatures at a time. */
export async function rs256Ceiling(durationMs: number, inFlight = POOL): Promise<number> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const claims = { iss: 'https://idp.example', sub: 'bench', aud: 'client', nonce: 'n'.repeat(43) };
  return perSecond(durationMs, inFlight, () => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuedAt().setExpirationTime('1h').sign(privateKey));
}

export async function argon2Ceiling(durationMs: number, password: string): Promise<number> {
  const hash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  return perSecond(durationMs, POOL, () => argon2.verify(hash, password));
}

/** Every ceiling, one after the other (each alone on the machine), reporting each step as it starts. */
export async function measureCeilings(durationMs: number, password: string, progress: (what: string) => void): Promise<Ceilings> {
  const cores = os.availableParallelism();
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  progress('openssl speed rsa2048, one core');
  const opensslSingle = await opensslSign(seconds);
  progress(`openssl speed -multi ${cores} rsa2048`);
  const opensslMulti = await opensslSign(seconds, cores);
  progress('jose RS256 signing at 1, pool size and 16 in flight');
  const jose = { one: await rs256Ceiling(durationMs, 1), pool: await rs256Ceiling(durationMs, POOL), sixteen: await rs256Ceiling(durationMs, 16) };
  progress('argon2id verification ceiling');
  const argon2 = await argon2Ceiling(durationMs, password);
  return { cores, opensslSingle, opensslMulti, jose, argon2, pool: POOL };
}

/** How many progress steps measureCeilings reports. */
export const CEILING_STEPS = 4;
