// The strength check behind the password policy (src/auth/password-strength.ts): the guess bound and how it follows
// the minimum length, the words of the context, the breach list's place among the reasons, and passwords longer
// than what zxcvbn analyses.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ANALYSED_LENGTH, contextWords, MIN_GUESSES, minGuessesFor, passwordWeakness, REASONS } from '../../src/auth/password-strength.js';

const WORDS = contextWords({ email: 'countess@example.com', name: 'Ada Lovelace', issuer: 'http://127.0.0.1:4000', serviceName: 'Gatehouse' });
const STRICT = { listed: false, minGuesses: MIN_GUESSES };

/** `length` letters and digits drawn by a hash chain: patternless, and the same on every run. */
function patternless(length: number, seed = 'strength'): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let text = '';
  for (let block = 0; text.length < length; block++) {
    for (const byte of createHash('sha256').update(`${seed}-${block}`).digest()) text += alphabet[byte % alphabet.length];
  }
  return text.slice(0, length);
}

describe('the guess bound', () => {
  it('is 10^10 guesses (zxcvbn score 4), lowered to 10^n for a minimum length n below 10', () => {
    expect(MIN_GUESSES).toBe(1e10);
    expect([8, 9, 10, 15, 64].map(minGuessesFor)).toEqual([1e8, 1e9, 1e10, 1e10, 1e10]);
  });

  it('lets a patternless password of the minimum length through, and refuses a guessable one of the same length', () => {
    expect(passwordWeakness('kq7wzp3x', WORDS, { listed: false, minGuesses: minGuessesFor(8) })).toBeNull();
    expect(passwordWeakness('kq7wzp3x', WORDS, STRICT)).toBe('guessable');
    // zxcvbn estimates it at just over 10^8 guesses: enough when the minimum is 8, not at the default 15.
    expect(passwordWeakness('summer2024summer', WORDS, { listed: false, minGuesses: minGuessesFor(8) })).toBeNull();
    expect(passwordWeakness('summer2024summer', WORDS, STRICT)).toBe('words');
  });
});

describe('the words of the context', () => {
  it('takes the email local part, its part before a +, their pieces, and the name and its words, in NFKC lower case', () => {
    const words = contextWords({ email: ' Alice.Martin+News@Example.com', name: '  Ada  King-Noël ', serviceName: 'Gatehouse' });
    expect(words.account).toEqual(['alice.martin+news', 'alicemartinnews', 'alice', 'martin', 'news', 'alice.martin', 'alicemartin', 'ada  king-noël', 'adakingnoël', 'ada', 'king', 'noël']);
    // Compatibility characters count as their letters: U+FB01 is "fi".
    expect(contextWords({ email: '\ufb01ona@example.com', serviceName: 'Gatehouse' }).account).toEqual(['fiona']);
  });

  it('leaves out words shorter than three characters, which would match inside ordinary words', () => {
    expect(contextWords({ email: 'al.bo@example.com', name: 'Jo Li', serviceName: 'Gatehouse' }).account).toEqual(['al.bo', 'albo', 'jo li', 'joli']);
  });

  it("takes the service name and its words, the issuer host, and a host name's labels but the top-level one", () => {
    expect(contextWords({ email: 'x@example.com', issuer: 'https://login.acme-corp.example/idp', serviceName: 'Acme Portal' }).service).toEqual([
      'acme portal',
      'acmeportal',
      'acme',
      'portal',
      'login.acme-corp.example',
      'login',
      'acme-corp',
    ]);
    expect(contextWords({ email: 'x@example.com', issuer: 'http://127.0.0.1:3000', serviceName: 'Gatehouse' }).service).toEqual(['gatehouse', '127.0.0.1']);
    expect(contextWords({ email: 'x@example.com', issuer: 'http://[::1]:3000', serviceName: 'Gatehouse' }).service).toEqual(['gatehouse', '::1']);
    expect(contextWords({ email: 'x@example.com', issuer: 'not a url', serviceName: 'Gatehouse' }).service).toEqual(['gatehouse']);
  });

  it('refuses a password made mostly of them even when zxcvbn counts many guesses for it', () => {
    // Three words and a separator: zxcvbn rates it above the bound; two thirds of it are the person's name.
    expect(passwordWeakness('ada lovelace rules ok', WORDS, STRICT)).toBe('account');
    expect(passwordWeakness('my gatehouse pass', WORDS, STRICT)).toBe('service');
    expect(passwordWeakness('the gatehouse at the end of our lane is blue', WORDS, STRICT)).toBeNull();
  });
});

describe('the breach list among the reasons', () => {
  it('refuses a listed password that zxcvbn alone would let through', () => {
    // On the list (resources/common-passwords.txt.gz), like most of its 9,728 entries of 15 characters or more.
    expect(passwordWeakness('#_xlk!p2705caftg', WORDS, STRICT)).toBeNull();
    expect(passwordWeakness('#_xlk!p2705caftg', WORDS, { ...STRICT, listed: true })).toBe('breached');
  });

  it('tells the shape before the list: "repeats one word" says more than "seen in breaches"', () => {
    expect(passwordWeakness('aaaaaaaaaaaaaaaa', WORDS, { ...STRICT, listed: true })).toBe('repeat');
    expect(passwordWeakness('1qaz2wsx3edc4rfv', WORDS, { ...STRICT, listed: true })).toBe('keyboard');
  });
});

describe('every reason', () => {
  it('is one short plain line that follows "the password"', () => {
    for (const reason of Object.values(REASONS)) expect(reason).toMatch(/^(is|contains|repeats) [a-z0-9 ,]+$/);
  });
});

describe('long passwords', () => {
  it(`judges a password on its first ${ANALYSED_LENGTH} characters, up to the maximum length`, () => {
    expect(ANALYSED_LENGTH).toBe(64);
    expect(passwordWeakness(patternless(256), WORDS, STRICT)).toBeNull();
    expect(passwordWeakness('a'.repeat(256), WORDS, STRICT)).toBe('repeat');
    expect(passwordWeakness('abc123 '.repeat(37).slice(0, 256), WORDS, STRICT)).toBe('repeat');
    // A guessable start is refused even when what follows is not: the check never reads past the 64th character.
    expect(passwordWeakness('a'.repeat(ANALYSED_LENGTH) + patternless(100), WORDS, STRICT)).toBe('repeat');
    expect(passwordWeakness('a'.repeat(ANALYSED_LENGTH - 40) + patternless(100), WORDS, STRICT)).toBeNull();
  });
});
