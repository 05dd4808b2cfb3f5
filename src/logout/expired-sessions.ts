// Sessions over by time are ended like any other (issue 26): a session that reached its absolute lifetime
// (SESSION_TTL) or idled out (SESSION_IDLE_TTL without activity) ends at the applications too. Back-Channel Logout
// 1.0 §2 asks the OP to tell the RPs when a session ends, whatever ended it; some providers send nothing on expiry
// (keycloak#25171), so an application's own session outlives the person's sign-in there.
//
// Housekeeping (src/store/housekeeping.ts) calls endExpiredSessions on every run: the store hands out the sessions
// that are over (SessionRepository.takeExpired, each to exactly one caller, however many nodes run it), and
// SessionTerminator.endTaken revokes their tokens, audits `session.ended` with reason `expired` and queues one
// back-channel logout per client that received tokens in them. Bounded per run; what is left waits for the next.
import type { Store } from '../store/store.js';
import type { SessionTerminator } from './session-end.js';

/** Sessions taken per store call. */
export const EXPIRED_SESSIONS_BATCH = 500;
/** Store calls per run at most: 5000 sessions per housekeeping run (every ten minutes). */
export const EXPIRED_SESSIONS_BATCHES_PER_RUN = 10;

export interface ExpiredSessionsDependencies {
  store: Store;
  sessionEnd: SessionTerminator;
  /** config.lifetimes.sessionIdle (seconds): a session last seen this long ago is over (as Sessions.current decides). */
  idleSeconds: number;
}

/** Ends the sessions over at `now` and queues their clients' logouts; returns how many ended. */
export async function endExpiredSessions(deps: ExpiredSessionsDependencies, now: number): Promise<number> {
  let ended = 0;
  for (let batch = 0; batch < EXPIRED_SESSIONS_BATCHES_PER_RUN; batch++) {
    const taken = await deps.store.sessions.takeExpired(now, EXPIRED_SESSIONS_BATCH, now - deps.idleSeconds * 1000);
    await deps.sessionEnd.endTaken(taken);
    ended += taken.length;
    if (taken.length < EXPIRED_SESSIONS_BATCH) break;
  }
  return ended;
}
