// matchTotp's less travelled paths (RFC 6238 §5.2): which step is returned (and so recorded as used, the
// replay protection) when two steps of the window show the same code.
import { describe, expect, it } from 'vitest';
import { matchTotp, totpCodeAt } from '../../src/auth/totp.js';

// RFC 6238 Appendix B's SHA-1 seed in base32. Steps 910737 and 910738 happen to give the same six digits
// (found by a search over its steps; checked below, not assumed).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const TWIN = 910_737;
const startOf = (step: number) => step * 30_000 + 5_000;

describe('matchTotp when two steps of the window give the same code (RFC 6238 §5.2)', () => {
  it('the two steps do show the same code', () => {
    expect(totpCodeAt(RFC_SECRET, TWIN)).toBe('911617');
    expect(totpCodeAt(RFC_SECRET, TWIN + 1)).toBe('911617');
  });

  it('returns the current step, not the earlier one: the step recorded as used is the latest the code stands for', () => {
    // Were the earlier step recorded, the same six digits would be accepted once more as the current step's code.
    expect(matchTotp(RFC_SECRET, '911617', startOf(TWIN + 1))).toBe(TWIN + 1);
  });

  it('returns the current step, not the later one', () => {
    expect(matchTotp(RFC_SECRET, '911617', startOf(TWIN))).toBe(TWIN);
  });

  it('returns the earlier step when only the earlier one matches, the later when only the later one does', () => {
    expect(matchTotp(RFC_SECRET, '911617', startOf(TWIN + 2))).toBe(TWIN + 1);
    expect(matchTotp(RFC_SECRET, '911617', startOf(TWIN - 1))).toBe(TWIN);
  });
});

// Steps 153567 and 153569 give the same code, step 153568 another (found the same way).
const SPLIT = 153_568;

describe('matchTotp when the steps either side of now give the same code', () => {
  it('the steps do show these codes', () => {
    expect(totpCodeAt(RFC_SECRET, SPLIT - 1)).toBe('468457');
    expect(totpCodeAt(RFC_SECRET, SPLIT)).toBe('214300');
    expect(totpCodeAt(RFC_SECRET, SPLIT + 1)).toBe('468457');
  });

  it('returns the earlier step: a later one recorded as used would refuse the current step’s own code', () => {
    expect(matchTotp(RFC_SECRET, '468457', startOf(SPLIT))).toBe(SPLIT - 1);
    expect(matchTotp(RFC_SECRET, '214300', startOf(SPLIT))).toBe(SPLIT);
  });
});
