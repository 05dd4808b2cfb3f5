// Password hashing: argon2id at OWASP's minimum parameters (m=19 MiB, t=2, p=1).
import os from 'node:os';
import argon2 from 'argon2';
import pLimit from 'p-limit';
import { metrics } from '../metrics/metrics.js';
import { canonicalArgon2 } from './phc.js';

export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** NIST SP 800-63B §5.1.1.2: Unicode passwords are normalised (NFKC) before hashing. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * argon2 and token signing (jose's WebCrypto) share libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE
 * says otherwise). Unbounded, a burst of sign-ins fills every thread with 30 ms hashes and each token signature
 * queues behind them. At most half the pool (and no more than the cores) hashes at once; the rest stays free
 * for signatures. Sign-ins beyond that wait their turn, which costs them nothing they would not lose to the
 * contention anyway.
 */
const THREAD_POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE) || 4;
export const ARGON2_CONCURRENCY = Math.max(1, Math.min(Math.floor(THREAD_POOL_SIZE / 2), os.availableParallelism()));
const slots = pLimit(ARGON2_CONCURRENCY);

/** A hashing slot, measured (issue 26): the queue's depth, the wait for a slot, the hashes running (gatehouse_password_hash_*). */
function argon2Slot<T>(work: () => Promise<T>): Promise<T> {
  const queued = metrics.passwordHashQueued();
  return slots(async () => {
    const finished = queued.started();
    try {
      return await work();
    } finally {
      finished();
    }
  });
}

/** Hashes running and waiting now (for tests and diagnostics). */
export function argon2Load(): { running: number; waiting: number } {
  return { running: slots.activeCount, waiting: slots.pendingCount };
}

let verifications = 0;
let performed = 0;
let lastParameters: string | null = null;

/** How many password verifications have started since the process began (tests: a throttled sign-in starts none). */
export function argon2Verifications(): number {
  return verifications;
}

export interface PerformedVerifications {
  /** Verifications in which argon2 ran to the end on a well-formed hash (a malformed one throws at once). */
  count: number;
  /** The algorithm, version and parameters of the last one's hash (`$argon2id$v=19$m=…`): no salt, no digest. */
  lastParameters: string | null;
}

/**
 * Verifications actually performed, for tests: an unknown email must cost one full verification at the current
 * parameters, as a known one does (the decoy hash of authenticate.ts), or the time taken tells which accounts exist.
 */
export function argon2VerificationsPerformed(): PerformedVerifications {
  return { count: performed, lastParameters };
}

/** argon2.verify, counted once it has run to the end; throws on a malformed hash, as argon2.verify does. */
async function argon2Verify(hash: string, password: string): Promise<boolean> {
  const matches = await argon2.verify(hash, normalizePassword(password));
  performed += 1;
  lastParameters = hash.split('$').slice(0, 4).join('$');
  return matches;
}

/** A new hash, in the canonical PHC order m, t, p that other argon2 implementations read (src/auth/phc.ts). */
export async function hashPassword(password: string): Promise<string> {
  return canonicalArgon2(await argon2Slot(() => argon2.hash(normalizePassword(password), ARGON2_OPTIONS)));
}

/** What runs around one verification inside its hashing slot: the throttle's last word (src/auth/throttle.ts). */
export interface HashingGate {
  /** Just before hashing: false refuses the attempt, and nothing is hashed. */
  admit(): Promise<boolean>;
  /** Just after a mismatch, before the slot is freed, so that the next attempt in line sees it. */
  mismatched(): Promise<void>;
}

/**
 * verifyPassword under a gate. Attempts wait their turn for a hashing slot, so the gate asks again once the turn
 * has come: a burst of guesses queued behind one another is cut off as soon as the failures before it reach the
 * limit, with at most ARGON2_CONCURRENCY − 1 more hashed per process.
 */
export async function verifyPasswordGated(hash: string, password: string, gate: HashingGate): Promise<'match' | 'mismatch' | 'refused'> {
  return argon2Slot(async () => {
    if (!(await gate.admit())) return 'refused';
    verifications += 1;
    let matches = false;
    try {
      matches = await argon2Verify(hash, password);
    } catch {
      // A malformed stored hash verifies nothing.
    }
    if (!matches) await gate.mismatched();
    return matches ? 'match' : 'mismatch';
  });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  verifications += 1;
  try {
    return await argon2Slot(() => argon2Verify(hash, password));
  } catch {
    // A malformed stored hash verifies nothing.
    return false;
  }
}
