// The less travelled paths of the password policy (src/auth/password-policy.ts, NIST SP 800-63B §3.1.1.2): the
// shortest local part judged by "contains", a local part typed with spaces around it or in compatibility
// characters, and a password typed in them.
import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from '../../src/auth/password-policy.js';
import { ValidationError } from '../../src/errors.js';

const DERIVED = /name part of the email address/;

/** The message of the ValidationError the policy throws for `password`; fails if it throws nothing else. */
function refusal(password: string, email: string, minLength = 15): string {
  try {
    checkPasswordPolicy(password, { email, minLength });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message;
  }
  throw new Error(`expected ${JSON.stringify(password)} to be refused`);
}

describe('passwords derived from the account name: edge cases (NIST SP 800-63B §3.1.1.2)', () => {
  it('refuses a password containing a local part of exactly three characters', () => {
    expect(refusal('what bob built on sunday', 'bob@example.com')).toMatch(DERIVED);
  });

  it('judges the local part without the spaces it was typed with', () => {
    expect(refusal('xx-alice.martin-xx', '  alice.martin  @example.com')).toMatch(DERIVED);
    expect(refusal('xx-alice.martin-xx', ' alice.martin@example.com')).toMatch(DERIVED);
  });

  it('compares the local part in NFKC, as the password is: a ligature in the address is its letters', () => {
    // U+FB01 LATIN SMALL LIGATURE FI: NFKC makes it "fi".
    expect(refusal('fiona walks the long way home', '\ufb01ona@example.com')).toMatch(DERIVED);
  });

  it('compares the password in NFKC: fullwidth letters spelling the local part are refused', () => {
    expect(refusal('\uff41\uff4c\uff49\uff43\uff45 in wonderland again', 'alice@example.com')).toMatch(DERIVED);
  });

  it('refuses a password equal to the name before the + even when that name is too short to judge by "contains"', () => {
    expect(refusal('al', 'al+news@example.com', 1)).toMatch(DERIVED);
    expect(() => checkPasswordPolicy('a long sentence with al in it', { email: 'al+news@example.com', minLength: 15 })).not.toThrow();
  });
});
