import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { checkPasswordPolicy, PASSWORD_MAX_LENGTH } from '../../src/auth/password-policy.js';
import { ValidationError } from '../../src/errors.js';

const EMAIL = 'alice.martin@example.com';
const CONTEXT = { email: EMAIL, minLength: 15 };
const PASSPHRASE = 'violet kettle under the quiet harbour';
/** Fifteen different fruit and vegetables: no repetition or sequence for the strength check to refuse. */
const FIFTEEN_EMOJI = '🍎🍌🍒🍇🍉🍓🍑🍍🥝🥥🥑🍆🥕🌽🥦';

/** `length` characters of `alphabet` drawn by a hash chain: patternless, and the same on every run. */
function patternless(length: number, alphabet: string[]): string {
  const symbols: string[] = [];
  for (let block = 0; symbols.length < length; block++) {
    for (const byte of createHash('sha256').update(`gatehouse-${block}`).digest()) symbols.push(alphabet[byte % alphabet.length] ?? '');
  }
  return symbols.slice(0, length).join('');
}
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];

/** Runs the policy and returns the ValidationError it throws; fails the test if it throws nothing or something else. */
function refusal(password: string, context = CONTEXT): ValidationError {
  let caught: unknown;
  try {
    checkPasswordPolicy(password, context);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${JSON.stringify(password)} to be refused`).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.field).toBe('password');
  // A plain sentence for the person choosing the password: one line, starting "the password".
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).toMatch(/^the password /);
  return error;
}

describe('password length (NIST SP 800-63B §3.1.1.2)', () => {
  it('refuses a password shorter than the minimum and says the minimum', () => {
    expect(refusal('fourteen chars').message).toMatch(/at least 15 characters/);
  });

  it('refuses an empty password', () => {
    expect(refusal('').message).toMatch(/at least 15/);
  });

  it('accepts a password exactly at the minimum', () => {
    expect(() => checkPasswordPolicy('vj4qn8zrk2wmx7h', CONTEXT)).not.toThrow();
  });

  it('honours the configured minimum', () => {
    // Eight characters without a pattern: enough guesses for a minimum of 8 (src/auth/password-strength.ts).
    expect(refusal('kq7wzp3x', { email: EMAIL, minLength: 9 }).message).toMatch(/at least 9 characters/);
    expect(() => checkPasswordPolicy('kq7wzp3x', { email: EMAIL, minLength: 8 })).not.toThrow();
  });

  it('counts code points, not UTF-16 units: fifteen emoji are fifteen characters', () => {
    expect(FIFTEEN_EMOJI.length).toBe(30);
    expect(() => checkPasswordPolicy(FIFTEEN_EMOJI, CONTEXT)).not.toThrow();
    // Eight emoji are 16 UTF-16 units but only 8 characters.
    expect(refusal([...FIFTEEN_EMOJI].slice(0, 8).join('')).message).toMatch(/at least 15/);
  });

  it('accepts exactly 256 characters', () => {
    expect(PASSWORD_MAX_LENGTH).toBe(256);
    expect(() => checkPasswordPolicy(patternless(256, LETTERS), CONTEXT)).not.toThrow();
    const emoji = patternless(256, [...FIFTEEN_EMOJI, ...'🚲🚗🚕🚌🚑🚒🚜🛵🚂🚁🛶🚀🚙🛸🚤🚠🚃']);
    expect(emoji.length).toBe(512);
    expect(() => checkPasswordPolicy(emoji, CONTEXT)).not.toThrow();
  });

  it('refuses more than 256 characters and says the maximum', () => {
    expect(refusal('x'.repeat(257)).message).toMatch(/at most 256 characters/);
    expect(refusal('🔑'.repeat(257)).message).toMatch(/at most 256/);
  });

  it('accepts a long passphrase with spaces and no composition rules', () => {
    expect(() => checkPasswordPolicy(PASSPHRASE, CONTEXT)).not.toThrow();
    expect(() => checkPasswordPolicy('ein ganz gewöhnlicher satz über nichts', CONTEXT)).not.toThrow();
  });
});

describe('passwords derived from the account name (NIST SP 800-63B §3.1.1.2)', () => {
  it('refuses a password equal to the local part of the email address', () => {
    const error = refusal('alice.martin', { email: EMAIL, minLength: 8 });
    expect(error.message).toMatch(/name part of the email address/);
  });

  it('refuses a password that contains the local part', () => {
    expect(refusal('my name is alice.martin ok').message).toMatch(/email address/);
  });

  it('compares without regard to case', () => {
    expect(refusal('ALICE.MARTIN-rules-2025').message).toMatch(/email address/);
    expect(refusal('xx-alice.martin-xx', { email: 'Alice.Martin@Example.com', minLength: 8 }).message).toMatch(/email address/);
  });

  it('refuses a password equal to even a very short local part', () => {
    expect(refusal('jo', { email: 'jo@example.com', minLength: 1 }).message).toMatch(/email address/);
  });

  it('does not refuse a password that merely contains a one- or two-letter local part', () => {
    expect(() => checkPasswordPolicy(PASSPHRASE, { email: 'ha@example.com', minLength: 15 })).not.toThrow();
  });

  it('refuses a password containing the name before the + of a plus-address', () => {
    expect(refusal('i am ALICE and proud of it', { email: 'alice+news@example.com', minLength: 15 }).message).toMatch(/name part of the email/);
  });

  it('accepts a password that does not contain the local part', () => {
    expect(() => checkPasswordPolicy('alice martin walks slowly', CONTEXT)).not.toThrow();
  });
});

describe('common passwords (NIST SP 800-63B §3.1.1.2 blocklist)', () => {
  it('refuses "password" when the minimum allows its length', () => {
    expect(refusal('password', { email: EMAIL, minLength: 8 }).message).toBe('the password is on a list of passwords seen in breaches');
  });

  it('refuses a common password whatever its case', () => {
    for (const password of ['baseball', 'BASEBALL', 'BaseBall']) {
      expect(refusal(password, { email: EMAIL, minLength: 8 }).message).toBe('the password is on a list of passwords seen in breaches');
    }
  });

  it('never repeats the refused password in its message', () => {
    for (const [password, context] of [
      ['Xq7#short', CONTEXT],
      ['zz-alice.martin-zz', CONTEXT],
      ['dragon', { email: EMAIL, minLength: 6 }],
    ] as const) {
      expect(refusal(password, context).message).not.toContain(password);
    }
  });

  it('accepts an uncommon password of the same length', () => {
    expect(() => checkPasswordPolicy('qzvbwkro', { email: EMAIL, minLength: 8 })).not.toThrow();
  });
});

describe('password hashing (argon2id, OWASP minimum parameters)', () => {
  it('produces an argon2id PHC string with m=19456, t=2, p=1', async () => {
    const hash = await hashPassword(PASSPHRASE);
    // PHC string format: $argon2id$v=19$<params>$<salt>$<hash>; the parameters may come in any order.
    const match = /^\$argon2id\$v=19\$([^$]+)\$[A-Za-z0-9+/]{22,}\$[A-Za-z0-9+/]{43,}$/.exec(hash);
    expect(match, hash).not.toBeNull();
    const params = Object.fromEntries((match?.[1] ?? '').split(',').map((pair) => pair.split('=')));
    expect(params).toEqual({ m: '19456', t: '2', p: '1' });
    expect(hash).not.toContain(PASSPHRASE);
  });

  it('salts every hash, so the same password hashes differently twice', async () => {
    expect(await hashPassword(PASSPHRASE)).not.toBe(await hashPassword(PASSPHRASE));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword(PASSPHRASE);
    expect(await verifyPassword(hash, PASSPHRASE)).toBe(true);
    expect(await verifyPassword(hash, PASSPHRASE + ' ')).toBe(false);
    expect(await verifyPassword(hash, PASSPHRASE.toUpperCase())).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it.each(['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$broken', '$2b$10$abcdefghijklmnopqrstuv'])('answers false, without throwing, for the malformed stored hash %j', async (hash) => {
    await expect(verifyPassword(hash, PASSPHRASE)).resolves.toBe(false);
  });

  it('normalises to NFKC: a password hashed with a composed é verifies with the decomposed form', async () => {
    const composed = 'caf\u00e9 au lait every morning';
    const decomposed = 'cafe\u0301 au lait every morning';
    expect(composed).not.toBe(decomposed);
    expect(await verifyPassword(await hashPassword(composed), decomposed)).toBe(true);
    expect(await verifyPassword(await hashPassword(decomposed), composed)).toBe(true);
  });
});
