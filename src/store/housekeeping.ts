// Removes rows that can no longer be used (expired codes, pending sign-ins, sessions, access-token records, throttle
// counters, mailed account tokens, sign-in challenges, device authorizations, client assertion jtis, federated
// sign-ins in progress, expired initial access tokens for dynamic registration, and (issue 28) pushed authorization
// requests and used request-object and DPoP-proof jtis), so the tables stay small. A used-up
// registration token without an expiry stays listed until an administrator revokes it. Revoked or rotated refresh
// tokens are kept until they expire: reuse detection needs them.
// What unauthenticated requests store is bounded by this sweep and the per-address admission limits together
// (THROTTLE_RULES.admission in src/auth/throttle.ts): a pending sign-in (30 minutes) or a passkey challenge
// (5 minutes), used or not, is removed within ten minutes of its expiry, so an address holds at most the rows of
// its last few admission windows; each admission counter is one row per address and scope, removed with its
// window. Used rows go at their expiry like unused ones: removing them earlier would shrink the usual table, not
// the bound, since every used row was first admitted.
// Issue 26: in the server, sessions over by time are not just deleted: they end as by a logout (audited, their
// tokens revoked, their applications told by back-channel logout: src/logout/expired-sessions.ts).
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

const EVERY_MS = 10 * 60 * 1000;
/** How long an ended (expired or revoked) personal admin token stays listed: `idp admin token list` shows what happened. */
export const ADMIN_TOKENS_KEPT_MS = 30 * 24 * 60 * 60 * 1000;
/** Issue 26: how long a client sighting is kept unseen: the active-client window of key rotation readiness (src/signing/key-readiness.ts). */
export const CLIENT_SIGHTINGS_KEPT_MS = 30 * 24 * 60 * 60 * 1000;
/** Issue 26: how long a delivered or dead delivery stays in the delivery logs (src/delivery/queue.ts). */
export const SETTLED_DELIVERIES_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

export interface SweepOptions {
  /**
   * Issue 26: ends the sessions over at `now` and tells their clients (src/logout/expired-sessions.ts); returns
   * how many. The server passes it; without it expired sessions are only deleted, and nobody is told.
   */
  endExpiredSessions?: (now: number) => Promise<number>;
}

export async function sweepExpired(store: Store, now: number, options: SweepOptions = {}): Promise<number> {
  // Sessions first, on their own: a plain delete running beside them would take sessions whose clients must hear of it.
  const sessions = options.endExpiredSessions ? await options.endExpiredSessions(now) : await store.sessions.deleteExpired(now);
  const counts = await Promise.all([
    store.codes.deleteExpired(now),
    store.authorizationRequests.deleteExpired(now),
    store.accessTokens.deleteExpired(now),
    store.throttle.deleteExpired(now),
    store.accountTokens.deleteExpired(now),
    store.signInChallenges.deleteExpired(now),
    store.deviceCodes.deleteExpired(now),
    store.clientAssertions.deleteExpired(now),
    // Issue 28: a request_uri lives 60 s (RFC 9126 §2.2); a jti only as long as its JWT could be accepted.
    store.pushedRequests.deleteExpired(now),
    store.usedJtis.deleteExpired(now),
    store.federationStates.deleteExpired(now),
    store.registrationTokens.deleteExpired(now),
    // Issue 26: personal admin tokens stay listed (as revoked or expired) for 30 days after they end, then go.
    store.adminTokens.deleteEnded(now - ADMIN_TOKENS_KEPT_MS),
    // Issue 26: where clients authenticated from, once neither seen nor fetching the JWKS for 30 days.
    store.clientSightings.deleteBefore(now - CLIENT_SIGHTINGS_KEPT_MS),
    // Issue 26: delivered and dead deliveries stay in the delivery logs (and redeliverable) for 30 days after they settled.
    store.deliveries.deleteSettledBefore(now - SETTLED_DELIVERIES_KEPT_MS),
  ]);
  return counts.reduce((sum, count) => sum + count, sessions);
}

/** Sweeps now and every ten minutes until the returned function is called. */
export function startHousekeeping(store: Store, clock: Clock, logger: Logger, options: SweepOptions = {}): () => void {
  const run = () => {
    sweepExpired(store, clock.now(), options).then(
      (removed) => removed > 0 && logger.debug({ removed }, 'removed expired rows'),
      (error: unknown) => logger.warn({ err: error }, 'housekeeping failed; will try again'),
    );
  };
  run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
