// What the per-address counters count (src/auth/throttle.ts, addressBucket): an IPv4 address as it is, an IPv6
// address by its /64, which one subscriber receives whole: otherwise one subscriber would have 2^64 budgets, and
// the admission limits (issue 19, F9) and failure budgets would bound nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addressBucket, Throttle, THROTTLE_RULES } from '../../src/auth/throttle.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('the address a counter counts', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
  ])('counts %s as %s', (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });

  it('tells apart two /64 networks of one /48', () => {
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
  });
});

describe('admission per address', () => {
  let store: Store;
  let remove: () => void;
  let clock: FakeClock;
  let throttle: Throttle;

  beforeEach(() => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    clock = new FakeClock(1_700_000_000_000);
    throttle = new Throttle(store, clock);
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  it('gives every address of one IPv6 /64 a single budget, and another /64 its own', async () => {
    const { limit, windowMs } = THROTTLE_RULES.admission;
    for (let i = 0; i < limit; i++) {
      const admission = await throttle.admitAddress('authorize', `2001:db8:1:2::${(i + 1).toString(16)}`);
      expect(admission).toEqual({ allowed: true, blockedUntil: i === limit - 1 ? clock.now() + windowMs : null });
    }
    expect(await throttle.admitAddress('authorize', '2001:db8:1:2:ffff:ffff:ffff:fffe')).toEqual({ allowed: false, retryAt: clock.now() + windowMs });
    expect(await throttle.admitAddress('authorize', '2001:db8:1:3::1')).toEqual({ allowed: true, blockedUntil: null });
    // Each scope has its own budget.
    expect(await throttle.admitAddress('passkey_options', '2001:db8:1:2::1')).toEqual({ allowed: true, blockedUntil: null });
  });
});
