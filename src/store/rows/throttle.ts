// The throttle counters table's columns and how a row becomes a counter and back, shared by every engine.
import type { ThrottleCounter } from '../throttle-counter.js';

export interface ThrottleRow {
  key: string;
  attempts: number;
  window_started_at: number;
  blocked_until: number | null;
  last_attempt_at: number;
  expires_at: number;
}

export const COLUMNS = 'key, attempts, window_started_at, blocked_until, last_attempt_at, expires_at';

/** The SET clause of the upsert that stores a counter (`excluded` is the row the INSERT proposed; both engines). */
export const UPDATE_FROM_EXCLUDED =
  'attempts = excluded.attempts, window_started_at = excluded.window_started_at, ' +
  'blocked_until = excluded.blocked_until, last_attempt_at = excluded.last_attempt_at, expires_at = excluded.expires_at';

export type ThrottleValues = [string, number, number, number | null, number, number];

export function toCounter(row: ThrottleRow): ThrottleCounter {
  return {
    key: row.key,
    attempts: row.attempts,
    windowStartedAt: row.window_started_at,
    blockedUntil: row.blocked_until,
    lastAttemptAt: row.last_attempt_at,
    expiresAt: row.expires_at,
  };
}

/** A counter's values in COLUMNS order, for an INSERT. */
export function toValues(counter: ThrottleCounter): ThrottleValues {
  return [counter.key, counter.attempts, counter.windowStartedAt, counter.blockedUntil, counter.lastAttemptAt, counter.expiresAt];
}
