// The throttle's arithmetic, shared by every engine so that they count alike: one counter per key (an account,
// or a client address in one scope), moved by one attempt at a time inside the engine's atomic step
// (ThrottleRepository). What an attempt is, the caller decides (src/auth/throttle.ts): a failed password or
// client secret, or a request that sends a mail or stores a row whatever its outcome; refund takes one back.

/** How many attempts a key may make, and what happens after. */
export interface ThrottleRule {
  /** Attempts allowed within `windowMs` before the key is blocked. */
  limit: number;
  windowMs: number;
  /**
   * `window`: blocked until the window that reached the limit ends (a fixed budget per window, e.g. per hour).
   * `backoff`: each attempt from the limit on blocks the key for baseMs × 2^(attempts − limit), at most maxMs.
   */
  block: { kind: 'window' } | { kind: 'backoff'; baseMs: number; maxMs: number };
  /** A backoff counter is forgotten this long after its last attempt (a window counter with its window). */
  memoryMs: number;
}

export interface ThrottleCounter {
  key: string;
  /** Attempts counted in the current window (or, once the limit was reached, since then). */
  attempts: number;
  windowStartedAt: number;
  /** No attempt is counted or allowed before this time; null when not blocked. */
  blockedUntil: number | null;
  lastAttemptAt: number;
  /** After this the counter means nothing and may be deleted. */
  expiresAt: number;
}

export type ThrottleVerdict = { allowed: true; attempts: number } | { allowed: false; retryAt: number };

/** Whether the counter still counts at `now`: expired ones are treated as absent. */
function live(counter: ThrottleCounter | null, now: number): ThrottleCounter | null {
  return counter && counter.expiresAt > now ? counter : null;
}

/**
 * One attempt against the counter: refused while blocked (nothing changes), otherwise counted. Returns the
 * verdict and the counter to store (null: store nothing, the attempt was refused).
 */
export function countAttempt(stored: ThrottleCounter | null, key: string, rule: ThrottleRule, now: number): { verdict: ThrottleVerdict; next: ThrottleCounter | null } {
  const counter = live(stored, now);
  if (counter && counter.blockedUntil !== null && counter.blockedUntil > now) {
    return { verdict: { allowed: false, retryAt: counter.blockedUntil }, next: null };
  }
  // A window that ended below the limit starts over; once the limit was reached the backoff remembers.
  const restart = !counter || (counter.attempts < rule.limit && now - counter.windowStartedAt >= rule.windowMs);
  const windowStartedAt = restart ? now : counter.windowStartedAt;
  const attempts = (restart ? 0 : counter.attempts) + 1;
  let blockedUntil: number | null = null;
  if (attempts >= rule.limit) {
    blockedUntil = rule.block.kind === 'window' ? windowStartedAt + rule.windowMs : now + Math.min(rule.block.maxMs, rule.block.baseMs * 2 ** Math.min(attempts - rule.limit, 40));
  }
  const expiresAt = rule.block.kind === 'window' ? windowStartedAt + rule.windowMs : Math.max(now + rule.memoryMs, blockedUntil ?? 0);
  return { verdict: { allowed: true, attempts }, next: { key, attempts, windowStartedAt, blockedUntil, lastAttemptAt: now, expiresAt } };
}

/**
 * Takes one counted attempt back (it succeeded): the count drops by one, and a block that only this attempt
 * caused is lifted. Null: delete the counter.
 */
export function refundAttempt(stored: ThrottleCounter | null, rule: ThrottleRule, now: number): ThrottleCounter | null {
  const counter = live(stored, now);
  if (!counter) return null;
  const attempts = Math.max(0, counter.attempts - 1);
  if (attempts === 0) return null;
  return { ...counter, attempts, blockedUntil: attempts >= rule.limit ? counter.blockedUntil : null };
}
