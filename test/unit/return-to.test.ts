// Where a sign-in to one of our own pages may return (src/interaction/return-to.ts): only the account page and
// the admin screens, below the base path, and never anything a browser would read as another host, which would
// make the login page an open redirector (RFC 9700 §4.11, OWASP ASVS V5.1.5).
import { describe, expect, it } from 'vitest';
import { loginUrlFor, safeReturnPath } from '../../src/interaction/return-to.js';

describe('safeReturnPath: the pages a sign-in may return to', () => {
  it.each([
    ['/account', '/account'],
    ['/admin', '/admin'],
    ['/account/sessions', '/account/sessions'],
    ['/admin/users?page=2', '/admin/users?page=2'],
    // Dot segments resolved: the normalised path is what is checked and what is returned.
    ['/account/./two-factor', '/account/two-factor'],
    ['/./admin', '/admin'],
  ])('accepts %j as %j', (value, expected) => {
    expect(safeReturnPath('', value)).toBe(expected);
  });

  it('keeps the query and drops a fragment', () => {
    expect(safeReturnPath('', '/account?done=name-changed#top')).toBe('/account?done=name-changed');
  });

  it.each([
    ['another of our endpoints', '/token'],
    ['the login page itself', '/login'],
    ['a path that only starts like /account', '/accountant'],
    ['a path that only starts like /admin', '/administrator'],
    ['dot segments that leave /admin', '/admin/../token'],
    ['dot segments that leave /account', '/account/../../login'],
  ])('refuses %s (%j)', (_what, value) => {
    expect(safeReturnPath('', value)).toBeNull();
  });

  it.each([
    ['an absolute URL', 'https://evil.example/account'],
    ['a relative path without its leading slash', 'account'],
    ['a scheme-relative //host, even one naming no real host', '//gatehouse.invalid/account'],
    ['a scheme-relative //host', '//evil.example/account'],
    ['a backslash, read as a slash by browsers', '/\\evil.example/account'],
    ['a backslash inside the path', '/account\\'],
    ['a NUL', '/account\u0000'],
    ['a tab (browsers drop it: /\\t/host is //host)', '/account\t'],
    ['a line feed', '/account\n'],
    ['the last C0 control character', '/account\u001f'],
    ['DEL', '/account\u007f'],
    ['a javascript: URL', 'javascript:alert(1)'],
  ])('refuses %s', (_what, value) => {
    expect(safeReturnPath('', value)).toBeNull();
  });

  it.each([
    ['a missing value', undefined],
    ['an empty string', ''],
    ['a repeated parameter (an array)', ['/account', '/account']],
    ['a parsed object', { path: '/account' }],
    ['a number', 42],
  ])('refuses %s', (_what, value) => {
    expect(safeReturnPath('', value)).toBeNull();
  });

  it('accepts a path of exactly 2048 characters and refuses one of 2049', () => {
    const exactly = `/account?pad=${'a'.repeat(2048 - '/account?pad='.length)}`;
    expect(exactly).toHaveLength(2048);
    expect(safeReturnPath('', exactly)).toBe(exactly);
    expect(safeReturnPath('', `${exactly}a`)).toBeNull();
  });

  describe('below a base path', () => {
    it('accepts our pages under the base path only', () => {
      expect(safeReturnPath('/idp', '/idp/account')).toBe('/idp/account');
      expect(safeReturnPath('/idp', '/idp/admin/users')).toBe('/idp/admin/users');
    });

    it.each([
      ['the page without the base path', '/account'],
      ['the page under another first segment of the same length', '/xyz/account'],
      ['the page under a longer first segment', '/idpx/account'],
      ['the base path itself', '/idp'],
      ['the base path with a slash', '/idp/'],
      ['another endpoint under the base path', '/idp/token'],
    ])('refuses %s', (_what, value) => {
      expect(safeReturnPath('/idp', value)).toBeNull();
    });
  });
});

describe('loginUrlFor', () => {
  it('names the page to return to in return_to, encoded, below the base path', () => {
    expect(loginUrlFor('/idp', '/idp/account?done=x&y=1')).toBe('/idp/login?return_to=%2Fidp%2Faccount%3Fdone%3Dx%26y%3D1');
    expect(loginUrlFor('', '/admin')).toBe('/login?return_to=%2Fadmin');
  });
});
