// NIST SP 800-63B (rev. 4) §3.1.1.2 password rules: a minimum length, a generous maximum, no composition
// rules, and a refusal of passwords that are common or derived from the account name.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import { resourcesDir } from '../paths.js';
import { normalizePassword } from './password-hash.js';

export const PASSWORD_MAX_LENGTH = 256;
/** Local parts shorter than this are too short to judge "contains" by (every password holds an "a"). */
const MIN_LOCAL_PART_TO_MATCH = 3;

let commonPasswords: Set<string> | undefined;

/** The 10,000 most common passwords (resources/common-passwords.txt), lower-cased, read on first use. */
function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    readFileSync(path.join(resourcesDir, 'common-passwords.txt'), 'utf8').split('\n').map((line) => line.trim().toLowerCase()).filter(Boolean),
  );
  return commonPasswords.has(password.toLowerCase());
}

/** The local part, and for a plus-address (alice+news@) also the part before the '+'. */
function derivedFromEmail(loweredPassword: string, email: string): boolean {
  // Stryker disable next-line OptionalChaining: equivalent; split always returns at least one element, so [0] is a string
  const localPart = normalizePassword(email.split('@')[0]?.trim() ?? '').toLowerCase();
  const names = new Set([localPart, localPart.split('+')[0] ?? '']);
  // Stryker disable next-line StringLiteral: equivalent; an empty name matches only an empty password, which the length check (minimum 8, PASSWORD_MIN_LENGTH) refuses first
  return [...names].some((name) => name !== '' && (loweredPassword === name || (name.length >= MIN_LOCAL_PART_TO_MATCH && loweredPassword.includes(name))));
}

export interface PasswordContext {
  email: string;
  minLength: number;
}

/** Throws ValidationError('password', …) saying plainly what is wrong. */
export function checkPasswordPolicy(password: string, { email, minLength }: PasswordContext): void {
  const normalized = normalizePassword(password);
  // Length counts characters (code points), not UTF-16 units or bytes.
  const length = [...normalized].length;
  if (length < minLength) throw new ValidationError('password', `the password must be at least ${minLength} characters long`);
  if (length > PASSWORD_MAX_LENGTH) throw new ValidationError('password', `the password must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  const lowered = normalized.toLowerCase();
  if (derivedFromEmail(lowered, email)) {
    throw new ValidationError('password', 'the password must not contain the name part of the email address');
  }
  if (isCommonPassword(normalized)) {
    throw new ValidationError('password', 'the password is one of the 10,000 most common passwords; choose another');
  }
}
