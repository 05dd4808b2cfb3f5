// Passwords Gatehouse makes up for an administrator (src/auth/generated-password.ts): groups of four symbols that
// read aloud without look-alikes, at least five groups (about 99 bits), more when the configured minimum length
// asks for them, and always within the same policy as a chosen password (NIST SP 800-63B §3.1.1.2).
import { describe, expect, it } from 'vitest';
import { generatePassword } from '../../src/auth/generated-password.js';
import { checkPasswordPolicy, PASSWORD_MAX_LENGTH } from '../../src/auth/password-policy.js';

const EMAIL = 'grace.hopper@example.com';
const GROUP = /^[abcdefghjkmnpqrstuvwxyz23456789]{4}$/;

/** The groups of a generated password, each checked to be four symbols of the alphabet. */
function groupsOf(password: string): string[] {
  const groups = password.split('-');
  for (const group of groups) expect(group, password).toMatch(GROUP);
  return groups;
}

describe('generated passwords (NIST SP 800-63B §3.1.1.2)', () => {
  it('are five groups of four symbols joined by "-" when the minimum length allows (24 characters, about 99 bits)', () => {
    for (const minLength of [8, 15, 24]) {
      const password = generatePassword({ email: EMAIL, minLength });
      expect(password).toHaveLength(24);
      expect(groupsOf(password)).toHaveLength(5);
    }
  });

  it('add whole groups until the configured minimum length is reached, and no more', () => {
    // 5 groups are 24 characters, 6 are 29, 13 are 64 (the largest PASSWORD_MIN_LENGTH allowed).
    for (const [minLength, groups] of [
      [25, 6],
      [26, 6],
      [29, 6],
      [30, 7],
      [64, 13],
    ] as const) {
      const password = generatePassword({ email: EMAIL, minLength });
      expect(groupsOf(password), `minLength ${minLength}`).toHaveLength(groups);
      expect(password).toHaveLength(groups * 5 - 1);
      expect(() => checkPasswordPolicy(password, { email: EMAIL, minLength })).not.toThrow();
    }
  });

  it('never use the look-alike symbols 0, o, 1, l, i nor upper case, and use the rest of the alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) for (const symbol of generatePassword({ email: EMAIL, minLength: 15 }).replaceAll('-', '')) seen.add(symbol);
    expect([...seen].filter((symbol) => /[0o1liA-Z]/.test(symbol))).toEqual([]);
    // 40 × 20 draws from 31 symbols: every one of them shows up (the chance that one does not is below 1e-9).
    expect(seen.size).toBe(31);
  });

  it('differ from one draw to the next', () => {
    const drawn = new Set(Array.from({ length: 20 }, () => generatePassword({ email: EMAIL, minLength: 15 })));
    expect(drawn.size).toBe(20);
  });

  it('fail plainly when no password of this shape can meet the policy, rather than hand out one that does not', () => {
    // Longer than the policy's maximum: every candidate is refused, and the function gives up after its retries.
    expect(() => generatePassword({ email: EMAIL, minLength: PASSWORD_MAX_LENGTH + 1 })).toThrow(/could not generate a password that meets the policy/);
  });
});
