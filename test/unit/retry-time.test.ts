// The wait of a throttled form in the page's language (src/interaction/retry-time.ts): in English exactly what
// tryAgainIn has always said (the pages' English stays byte-identical), in another language its own words for it.
import { describe, expect, it } from 'vitest';
import { tryAgainIn } from '../../src/auth/throttle.js';
import { retryWhen } from '../../src/interaction/retry-time.js';

const NOW = 1_800_000_000_000;
const WAITS = [0, 1, 999, 1_000, 1_001, 59_000, 59_999, 60_000, 61_000, 119_000, 15 * 60_000, 59 * 60_000 + 1, 3_600_000, 3_600_001, 7_200_000, 36 * 3_600_000];

describe('retryWhen', () => {
  it('says in English what tryAgainIn says, rounding up the same way', () => {
    for (const wait of WAITS) expect(retryWhen('en', NOW + wait, NOW), String(wait)).toBe(tryAgainIn(NOW + wait, NOW));
  });

  it('says it in the page’s language', () => {
    expect(retryWhen('de', NOW + 15 * 60_000, NOW)).toBe('in 15 Minuten');
    expect(retryWhen('fr', NOW + 3_600_000, NOW)).toBe('dans 1 heure');
    expect(retryWhen('es', NOW + 30_000, NOW)).toBe('dentro de 30 segundos');
    expect(retryWhen('ja', NOW + 2 * 3_600_000, NOW)).toBe('2 時間後');
  });
});
