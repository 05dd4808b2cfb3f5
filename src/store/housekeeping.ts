// Removes rows that can no longer be used (expired codes, pending sign-ins, sessions, access-token records, throttle
// counters, mailed account tokens and sign-in challenges), so the tables stay small. Revoked or rotated refresh
// tokens are kept until they expire: reuse detection needs them.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

const EVERY_MS = 10 * 60 * 1000;

export async function sweepExpired(store: Store, now: number): Promise<number> {
  const counts = await Promise.all([
    store.codes.deleteExpired(now),
    store.authorizationRequests.deleteExpired(now),
    store.accessTokens.deleteExpired(now),
    store.sessions.deleteExpired(now),
    store.throttle.deleteExpired(now),
    store.accountTokens.deleteExpired(now),
    store.signInChallenges.deleteExpired(now),
  ]);
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Sweeps now and every ten minutes until the returned function is called. */
export function startHousekeeping(store: Store, clock: Clock, logger: Logger): () => void {
  const run = () => {
    sweepExpired(store, clock.now()).then(
      (removed) => removed > 0 && logger.debug({ removed }, 'removed expired rows'),
      (error: unknown) => logger.warn({ err: error }, 'housekeeping failed; will try again'),
    );
  };
  run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
