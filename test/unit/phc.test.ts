// The canonical PHC order of argon2 parameters (src/auth/phc.ts): m, t, p, as the PHC string format's Argon2
// encoding fixes it and libargon2 requires; anything that is not a well-formed argon2 hash is left alone.
import { describe, expect, it } from 'vitest';
import { canonicalArgon2, isCanonicalArgon2 } from '../../src/auth/phc.js';

const SALT = 'c29tZXNhbHRzb21lc2FsdA';
const DIGEST = 'ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk';

describe('canonical argon2 PHC strings', () => {
  it.each([
    ['m,p,t (argon2 0.45.1)', `$argon2id$v=19$m=19456,p=1,t=2$${SALT}$${DIGEST}`],
    ['t,p,m', `$argon2id$v=19$t=2,p=1,m=19456$${SALT}$${DIGEST}`],
    ['p,m,t', `$argon2id$v=19$p=1,m=19456,t=2$${SALT}$${DIGEST}`],
  ])('puts %s in the order m,t,p, salt and digest untouched', (_order, hash) => {
    expect(canonicalArgon2(hash)).toBe(`$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${DIGEST}`);
    expect(isCanonicalArgon2(hash)).toBe(false);
  });

  it('keeps a canonical hash as it is, whatever the variant', () => {
    for (const variant of ['argon2id', 'argon2i', 'argon2d']) {
      const hash = `$${variant}$v=19$m=65536,t=3,p=4$${SALT}$${DIGEST}`;
      expect(canonicalArgon2(hash)).toBe(hash);
      expect(isCanonicalArgon2(hash)).toBe(true);
    }
  });

  it.each([
    ['not argon2', '$2b$12$abcdefghijklmnopqrstuuTmWjS9kgNGu2pXhcOt3NXsWHq8SLm4y'],
    ['a parameter twice', `$argon2id$v=19$m=1,m=2,t=2$${SALT}$${DIGEST}`],
    ['a parameter missing', `$argon2id$v=19$m=19456,t=2$${SALT}$${DIGEST}`],
    ['an unknown parameter', `$argon2id$v=19$m=19456,t=2,p=1,x=3$${SALT}$${DIGEST}`],
    ['a value that is not a number', `$argon2id$v=19$m=lots,t=2,p=1$${SALT}$${DIGEST}`],
    ['a pair without a value', `$argon2id$v=19$m,t=2,p=1$${SALT}$${DIGEST}`],
    ['no digest', `$argon2id$v=19$m=19456,p=1,t=2$${SALT}`],
    ['the empty string', ''],
  ])('leaves %s alone, and calls it not canonical', (_what, hash) => {
    expect(canonicalArgon2(hash)).toBe(hash);
    expect(isCanonicalArgon2(hash)).toBe(false);
  });
});
