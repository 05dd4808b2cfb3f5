// The less common spellings of a client address (src/auth/throttle.ts, addressBucket): each must land in the
// counter of the subscriber it names (an IPv4 address, or an IPv6 /64: RFC 6177, RFC 7421), or one subscriber
// gets many budgets, or many subscribers share one.
import { describe, expect, it } from 'vitest';
import { addressBucket } from '../../src/auth/throttle.js';

describe('the address a counter counts: edge cases', () => {
  it.each([
    // An IPv4 client of a dual-stack socket, whatever its octets and however the IPv6 part is spelled.
    ['::ffff:198.51.100.23', '198.51.100.23'],
    ['0::ffff:cb00:7107', '203.0.113.7'],
    ['0:0:0:0:0:ffff:c633:6417', '198.51.100.23'],
    // A zone id is not part of the address, whatever the address.
    ['::ffff:203.0.113.7%eth0', '203.0.113.7'],
    ['fe80::1%2', 'fe80:0:0:0::/64'],
    // ffff in the sixth group makes an IPv4-mapped address only after five zero groups.
    ['2001:db8::ffff:cb00:7107', '2001:db8:0:0::/64'],
    ['1::ffff:cb00:7107', '1:0:0:0::/64'],
    // "::" standing for a single zero group: the groups after it keep their places.
    ['2001:db8::3:4:5:6:7', '2001:db8:0:3::/64'],
    ['2001:db8:1::5:6:7:8', '2001:db8:1:0::/64'],
  ])('counts %s as %s', (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });

  it('keeps anything that is not an IP address as it is (a value a trusted proxy passed on), so that two such values are two counters', () => {
    expect(addressBucket('not-an-address')).toBe('not-an-address');
    expect(addressBucket('also:not:one')).toBe('also:not:one');
  });
});
