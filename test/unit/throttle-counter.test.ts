// The throttle's arithmetic (src/store/throttle-counter.ts), shared by every engine: a counter moved by one attempt
// at a time. The store contract (test/store/throttle.contract.test.ts) checks that each engine applies it atomically.
import { describe, expect, it } from 'vitest';
import { countAttempt, refundAttempt, type ThrottleCounter, type ThrottleRule } from '../../src/store/throttle-counter.js';

const T0 = 1_700_000_000_000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Five attempts a quarter of an hour, then a block doubling from a minute up to an hour; forgotten after a day. */
const BACKOFF: ThrottleRule = { limit: 5, windowMs: 15 * MINUTE, block: { kind: 'backoff', baseMs: MINUTE, maxMs: HOUR }, memoryMs: DAY };
/** A hundred attempts an hour. */
const HOURLY: ThrottleRule = { limit: 100, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR };

/** Applies `n` attempts at `at`, one after the other, and returns the counter they leave; each must be allowed. */
function attempts(rule: ThrottleRule, n: number, at: number, from: ThrottleCounter | null = null): ThrottleCounter | null {
  let counter = from;
  for (let i = 0; i < n; i++) {
    const { verdict, next } = countAttempt(counter, 'k', rule, at);
    expect(verdict.allowed, `attempt ${i + 1} of ${n}`).toBe(true);
    counter = next;
  }
  return counter;
}

describe('counting attempts', () => {
  it('allows a first attempt and starts a window at it', () => {
    expect(countAttempt(null, 'k', BACKOFF, T0)).toEqual({
      verdict: { allowed: true, attempts: 1 },
      next: { key: 'k', attempts: 1, windowStartedAt: T0, blockedUntil: null, lastAttemptAt: T0, expiresAt: T0 + DAY },
    });
  });

  it('counts attempts below the limit without blocking, and keeps the window where it started', () => {
    const counter = attempts(BACKOFF, 3, T0);
    const { verdict, next } = countAttempt(counter, 'k', BACKOFF, T0 + MINUTE);
    expect(verdict).toEqual({ allowed: true, attempts: 4 });
    expect(next).toEqual({ key: 'k', attempts: 4, windowStartedAt: T0, blockedUntil: null, lastAttemptAt: T0 + MINUTE, expiresAt: T0 + MINUTE + DAY });
  });

  it('treats an expired counter as no counter at all', () => {
    const stale: ThrottleCounter = { key: 'k', attempts: 9, windowStartedAt: T0, blockedUntil: T0 + HOUR, lastAttemptAt: T0, expiresAt: T0 + HOUR };
    expect(countAttempt(stale, 'k', BACKOFF, T0 + HOUR)).toEqual(countAttempt(null, 'k', BACKOFF, T0 + HOUR));
  });

  it('starts the window over when it ended below the limit', () => {
    const counter = attempts(BACKOFF, 4, T0);
    const { verdict, next } = countAttempt(counter, 'k', BACKOFF, T0 + 15 * MINUTE);
    expect(verdict).toEqual({ allowed: true, attempts: 1 });
    expect(next).toMatchObject({ attempts: 1, windowStartedAt: T0 + 15 * MINUTE, blockedUntil: null });
  });

  it('keeps counting in the same window until the last millisecond of it', () => {
    const counter = attempts(BACKOFF, 3, T0);
    expect(countAttempt(counter, 'k', BACKOFF, T0 + 15 * MINUTE - 1).verdict).toEqual({ allowed: true, attempts: 4 });
  });

  it('refuses an attempt while the key is blocked, saying until when, and stores nothing', () => {
    const blocked = attempts(BACKOFF, 5, T0);
    expect(blocked?.blockedUntil).toBe(T0 + MINUTE);
    expect(countAttempt(blocked, 'k', BACKOFF, T0 + MINUTE - 1)).toEqual({ verdict: { allowed: false, retryAt: T0 + MINUTE }, next: null });
  });
});

describe('backoff after the limit', () => {
  it('blocks from the limit on for a minute, then two, four … doubling up to the hour', () => {
    let counter = attempts(BACKOFF, 4, T0);
    let now = T0;
    const blocks: number[] = [];
    // Attempts 5 to 12, each made as soon as the block before it ends.
    for (let attempt = 5; attempt <= 12; attempt++) {
      const { verdict, next } = countAttempt(counter, 'k', BACKOFF, now);
      expect(verdict).toEqual({ allowed: true, attempts: attempt });
      if (!next?.blockedUntil) throw new Error(`attempt ${attempt} did not block`);
      blocks.push((next.blockedUntil - now) / MINUTE);
      counter = next;
      now = next.blockedUntil;
    }
    expect(blocks).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('remembers the count past the window once the limit was reached', () => {
    const counter = attempts(BACKOFF, 5, T0);
    // Long after the quarter of an hour, well within the day the counter is remembered.
    expect(countAttempt(counter, 'k', BACKOFF, T0 + 3 * HOUR).verdict).toEqual({ allowed: true, attempts: 6 });
  });

  it('forgets a counter the memory after its last attempt, and starts from one', () => {
    const counter = attempts(BACKOFF, 5, T0);
    expect(counter?.expiresAt).toBe(T0 + DAY);
    expect(countAttempt(counter, 'k', BACKOFF, T0 + DAY).verdict).toEqual({ allowed: true, attempts: 1 });
  });

  it('keeps a counter at least as long as its block, when the block outlasts the memory', () => {
    const shortMemory: ThrottleRule = { ...BACKOFF, memoryMs: 30 * SECOND };
    const counter = attempts(shortMemory, 5, T0);
    expect(counter).toMatchObject({ blockedUntil: T0 + MINUTE, expiresAt: T0 + MINUTE });
  });

  it('caps the block at its maximum however many attempts were counted, without overflowing', () => {
    const many: ThrottleCounter = { key: 'k', attempts: 5000, windowStartedAt: T0, blockedUntil: null, lastAttemptAt: T0, expiresAt: T0 + DAY };
    const { verdict, next } = countAttempt(many, 'k', BACKOFF, T0 + MINUTE);
    expect(verdict).toEqual({ allowed: true, attempts: 5001 });
    expect(next?.blockedUntil).toBe(T0 + MINUTE + HOUR);
  });
});

describe('a fixed budget per window', () => {
  it('allows the hundredth attempt and blocks the key until the window ends', () => {
    const counter = attempts(HOURLY, 99, T0, null);
    const { verdict, next } = countAttempt(counter, 'k', HOURLY, T0 + 30 * MINUTE);
    expect(verdict).toEqual({ allowed: true, attempts: 100 });
    expect(next).toMatchObject({ blockedUntil: T0 + HOUR, expiresAt: T0 + HOUR });
    expect(countAttempt(next, 'k', HOURLY, T0 + 59 * MINUTE)).toEqual({ verdict: { allowed: false, retryAt: T0 + HOUR }, next: null });
  });

  it('starts a fresh window once the hour is over', () => {
    const counter = attempts(HOURLY, 100, T0);
    expect(countAttempt(counter, 'k', HOURLY, T0 + HOUR)).toEqual({
      verdict: { allowed: true, attempts: 1 },
      next: { key: 'k', attempts: 1, windowStartedAt: T0 + HOUR, blockedUntil: null, lastAttemptAt: T0 + HOUR, expiresAt: T0 + 2 * HOUR },
    });
  });

  it('forgets a counter below the limit when its window ends', () => {
    expect(attempts(HOURLY, 3, T0)?.expiresAt).toBe(T0 + HOUR);
  });
});

describe('refunding an attempt that succeeded', () => {
  it('lowers the count by one and keeps the window and the expiry', () => {
    const counter = attempts(BACKOFF, 3, T0);
    expect(refundAttempt(counter, BACKOFF, T0 + 1)).toEqual({ ...counter, attempts: 2 });
  });

  it('lifts the block that the attempt reaching the limit caused', () => {
    const counter = attempts(BACKOFF, 5, T0);
    expect(refundAttempt(counter, BACKOFF, T0 + 1)).toMatchObject({ attempts: 4, blockedUntil: null });
    const hourly = attempts(HOURLY, 100, T0);
    expect(refundAttempt(hourly, HOURLY, T0 + 1)).toMatchObject({ attempts: 99, blockedUntil: null });
  });

  it('keeps a block when the attempts left still reach the limit', () => {
    const counter = attempts(BACKOFF, 1, T0 + MINUTE, attempts(BACKOFF, 5, T0));
    expect(counter).toMatchObject({ attempts: 6, blockedUntil: T0 + 3 * MINUTE });
    expect(refundAttempt(counter, BACKOFF, T0 + MINUTE + 1)).toMatchObject({ attempts: 5, blockedUntil: T0 + 3 * MINUTE });
  });

  it('forgets the counter when the refunded attempt was the only one, or when there is no live counter', () => {
    expect(refundAttempt(attempts(BACKOFF, 1, T0), BACKOFF, T0 + 1)).toBeNull();
    expect(refundAttempt(null, BACKOFF, T0)).toBeNull();
    expect(refundAttempt(attempts(BACKOFF, 3, T0), BACKOFF, T0 + DAY)).toBeNull();
  });
});
