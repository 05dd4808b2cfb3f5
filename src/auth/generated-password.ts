// Passwords an administrator asks Gatehouse to make up (a new account, a reset): random, easy to read out
// and type, and passing the same policy as any chosen password (NIST SP 800-63B §3.1.1.2).
import { randomInt } from 'node:crypto';
import { checkPasswordPolicy, type PasswordContext } from './password-policy.js';

/** Lower-case letters and digits without the look-alikes (0/o, 1/l/i), so a password read aloud survives. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUP = 4;
/** Five groups of four from 31 symbols: about 99 bits, far beyond any online or offline guessing. */
const MIN_GROUPS = 5;
/**
 * A random password contains the email's name part, is on the breach list or is rated guessable (zxcvbn puts five
 * groups above 10^22 guesses, the bound is 10^10) only by a vanishing chance; retry then.
 */
const ATTEMPTS = 20;

function candidate(minLength: number): string {
  const groups: string[] = [];
  // Groups are joined by '-': add groups until the whole reaches the configured minimum length.
  while (groups.length < MIN_GROUPS || groups.length * (GROUP + 1) - 1 < minLength) {
    let group = '';
    for (let i = 0; i < GROUP; i++) group += ALPHABET.charAt(randomInt(ALPHABET.length));
    groups.push(group);
  }
  return groups.join('-');
}

/** A random password that passes checkPasswordPolicy for this account, e.g. `k7wd-m3pq-x9ta-ne4h-vr2c`. */
export function generatePassword(context: PasswordContext): string {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const password = candidate(context.minLength);
    try {
      checkPasswordPolicy(password, context);
      return password;
    } catch {
      // Drawn again: see ATTEMPTS.
    }
  }
  throw new Error('could not generate a password that meets the policy');
}
