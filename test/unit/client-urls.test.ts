// The addresses Gatehouse refuses to send requests to outside development (src/manage/client-urls.ts): the
// back-channel logout URI is requested by the server itself, so it must not reach what only the server can
// (server-side request forgery, CWE-918).
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { checkPublicClientUrl, isSpecialPurposeAddress } from '../../src/manage/client-urls.js';

const FIELD = 'backchannel_logout_uri';

describe('special-purpose addresses (IANA registries, RFC 6890)', () => {
  it.each([
    ['10.0.0.1', 'private (RFC 1918)'],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['172.31.255.254', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local: the cloud metadata service'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', '"this network"'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd12:3456::1', 'unique local (fc00::/7)'],
    ['fc00::1', 'unique local (fc00::/7)'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, in hex'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::a00:1', 'NAT64 of 10.0.0.1'],
    ['2002:a00:1::1', '6to4 of 10.0.0.1'],
    ['2001:db8::1', 'documentation'],
    ['ff02::1', 'IPv6 multicast'],
  ])('%s is special (%s)', (address) => {
    expect(isSpecialPurposeAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '192.169.0.1', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    '%s is a public address',
    (address) => {
      expect(isSpecialPurposeAddress(address)).toBe(false);
    },
  );

  it('counts anything that is not an IP address as special, failing closed', () => {
    for (const notAnAddress of ['', 'localhost', 'rp.example.com', '10.0.0.1.nip.io', '[::1]']) expect(isSpecialPurposeAddress(notAnAddress), notAnAddress).toBe(true);
  });
});

describe('the registration rule for a back-channel logout URI when private addresses are not allowed', () => {
  it.each([
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'https://[::ffff:a00:1]/bc',
    'https://192.168.0.10:8443/bc',
    'https://[fe80::1]/bc',
    'http://localhost:3001/backchannel-logout',
    'https://LOCALHOST./bc',
    'https://rp.localhost/bc',
    'https://0x7f.1/bc',
    'https://2130706433/bc',
    'https://0/bc',
  ])('refuses %j with a field error that names the field, the URI and the way out', (uri) => {
    let caught: unknown;
    try {
      checkPublicClientUrl(uri, FIELD);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.field).toBe(FIELD);
    expect(error.message).toContain(`${FIELD} ${JSON.stringify(uri)} points at a private, loopback, link-local or other special-purpose address`);
    expect(error.message).toContain('ALLOW_PRIVATE_CLIENT_URLS=true');
  });

  it.each(['https://rp.example.com/backchannel-logout', 'https://8.8.8.8/bc', 'https://[2606:4700:4700::1111]/bc', 'https://localhost.example.com/bc'])('accepts %j', (uri) => {
    expect(() => checkPublicClientUrl(uri, FIELD)).not.toThrow();
  });
});
