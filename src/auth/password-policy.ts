// NIST SP 800-63B-4 §3.1.1.2 password rules: a minimum length, a generous maximum, no composition rules, and a
// refusal of passwords that are commonly used, expected or compromised, at any minimum length: on a list of
// passwords seen in breaches (src/auth/common-passwords.ts), repetitive or sequential, or built from words of
// the context (the service's name, its address, the person's email and name), judged by zxcvbn
// (src/auth/password-strength.ts). Each refusal says why in one plain sentence: in English in its message (logs, JSON,
// the CLI), and as a translation key a page shows in its own language (GatehouseError.shown, section `password`).
import { codePointLength } from '../code-points.js';
import { ValidationError } from '../errors.js';
import { isCommonPassword } from './common-passwords.js';
import { normalizePassword } from './password-hash.js';
import { contextWords, minGuessesFor, passwordWeakness, REASON_KEYS, REASONS } from './password-strength.js';
import { DEFAULT_BRAND_NAME } from '../branding/brand.js';

export const PASSWORD_MAX_LENGTH = 256;
/** Local parts shorter than this are too short to judge "contains" by (every password holds an "a"). */
const MIN_LOCAL_PART_TO_MATCH = 3;

/** The local part, and for a plus-address (alice+news@) also the part before the '+'. */
function derivedFromEmail(loweredPassword: string, email: string): boolean {
  // Stryker disable next-line OptionalChaining: equivalent; split always returns at least one element, so [0] is a string
  const localPart = normalizePassword(email.split('@')[0]?.trim() ?? '').toLowerCase();
  const names = new Set([localPart, localPart.split('+')[0] ?? '']);
  // Stryker disable next-line StringLiteral: equivalent; an empty name matches only an empty password, which the length check (minimum 8, PASSWORD_MIN_LENGTH) refuses first
  return [...names].some((name) => name !== '' && (loweredPassword === name || (name.length >= MIN_LOCAL_PART_TO_MATCH && loweredPassword.includes(name))));
}

/** Who the password is for and where: what it is judged against. */
export interface PasswordContext {
  /** The account's email address. */
  email: string;
  /** PASSWORD_MIN_LENGTH. */
  minLength: number;
  /** The person's display name, when known. */
  name?: string | null;
  /** config.issuer: its host is a word of this service. Every form passes it; only generated passwords go without. */
  issuer?: string;
  /** The name people know the service by (the brand's, issue 25): judged as a word of it beside "Gatehouse". */
  serviceName?: string | null;
}

/** Throws ValidationError('password', …) saying plainly what is wrong. */
export function checkPasswordPolicy(password: string, context: PasswordContext): void {
  const { email, minLength } = context;
  const normalized = normalizePassword(password);
  // Length counts characters (code points), not UTF-16 units or bytes.
  const length = codePointLength(normalized);
  if (length < minLength) throw new ValidationError('password', `the password must be at least ${minLength} characters long`).shown('password.tooShort', { count: minLength });
  if (length > PASSWORD_MAX_LENGTH) {
    throw new ValidationError('password', `the password must be at most ${PASSWORD_MAX_LENGTH} characters long`).shown('password.tooLong', { count: PASSWORD_MAX_LENGTH });
  }
  if (derivedFromEmail(normalized.toLowerCase(), email)) {
    throw new ValidationError('password', 'the password must not contain the name part of the email address').shown('password.emailName');
  }
  const words = contextWords({ email, name: context.name, issuer: context.issuer, serviceName: [DEFAULT_BRAND_NAME, context.serviceName ?? ''].join(' ') });
  const weakness = passwordWeakness(normalized, words, { listed: isCommonPassword(normalized), minGuesses: minGuessesFor(minLength) });
  if (weakness !== null) throw new ValidationError('password', `the password ${REASONS[weakness]}`).shown(REASON_KEYS[weakness]);
}
