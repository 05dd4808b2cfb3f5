// How long a throttled person is told to wait (src/auth/throttle.ts): the Retry-After header in whole seconds,
// rounded up and never 0 (RFC 9110 §10.2.3), and the same wait in words, rounded up to the unit shown, so that
// nobody who follows it is refused again.
import { describe, expect, it } from 'vitest';
import { retryAfterSeconds, tryAgainIn } from '../../src/auth/throttle.js';

const NOW = 1_700_000_000_000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('Retry-After (RFC 9110 §10.2.3)', () => {
  it.each([
    [1, 1],
    [999, 1],
    [SECOND, 1],
    [SECOND + 1, 2],
    [59 * SECOND + 1, 60],
    [HOUR, 3600],
  ])('is %i ms away: %i seconds, rounded up', (ms, seconds) => {
    expect(retryAfterSeconds(NOW + ms, NOW)).toBe(seconds);
  });

  it('is never below 1 second, even for a time already past', () => {
    expect(retryAfterSeconds(NOW, NOW)).toBe(1);
    expect(retryAfterSeconds(NOW - MINUTE, NOW)).toBe(1);
  });
});

describe('the wait in words', () => {
  it.each([
    [SECOND, 'in 1 second'],
    [1, 'in 1 second'],
    [2 * SECOND, 'in 2 seconds'],
    [59 * SECOND, 'in 59 seconds'],
    [59 * SECOND + 1, 'in 1 minute'],
    [MINUTE, 'in 1 minute'],
    [MINUTE + 1, 'in 2 minutes'],
    [2 * MINUTE, 'in 2 minutes'],
    [59 * MINUTE, 'in 59 minutes'],
    [59 * MINUTE + 1, 'in 1 hour'],
    [HOUR, 'in 1 hour'],
    [HOUR + 1, 'in 2 hours'],
    [3 * HOUR, 'in 3 hours'],
  ])('says %i ms as "%s"', (ms, words) => {
    expect(tryAgainIn(NOW + ms, NOW)).toBe(words);
  });
});
