// Removes rows that can no longer be used (expired codes, pending sign-ins, sessions, access-token records, throttle
// counters, mailed account tokens, sign-in challenges, device authorizations, client assertion jtis, federated
// sign-ins in progress, expired initial access tokens for dynamic registration), so the tables stay small. A used-up
// registration token without an expiry stays listed until an administrator revokes it. Revoked or rotated refresh
// tokens are kept until they expire: reuse detection needs them.
// What unauthenticated requests store is bounded by this sweep and the per-address admission limits together
// (THROTTLE_RULES.admission in src/auth/throttle.ts): a pending sign-in (30 minutes) or a passkey challenge
// (5 minutes), used or not, is removed within ten minutes of its expiry, so an address holds at most the rows of
// its last few admission windows; each admission counter is one row per address and scope, removed with its
// window. Used rows go at their expiry like unused ones: removing them earlier would shrink the usual table, not
// the bound, since every used row was first admitted.
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
    store.deviceCodes.deleteExpired(now),
    store.clientAssertions.deleteExpired(now),
    store.federationStates.deleteExpired(now),
    store.registrationTokens.deleteExpired(now),
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
