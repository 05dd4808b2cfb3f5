// Recovery codes: ten single-use codes shown once when a second factor is set up, for when the authenticator is
// lost. Each is 10 characters of a 32-symbol alphabet (50 bits), stored only as a SHA-256 hash, like every other
// secret (src/auth/secrets.ts): 50 random bits per code cannot be guessed online against the sign-in throttle.
import { randomBytes } from 'node:crypto';
import { hashSecret } from './secrets.js';

/**
 * Lower case without 0, o, 1 and l, whose glyphs are confused with one another. Lower-case i stays: with l and 1
 * gone it has no look-alike left, and it makes the alphabet 32 symbols, so 10 characters carry 50 bits (31
 * symbols would carry 49.5). A typed l or 1 is read as i (normalizeRecoveryCode).
 */
export const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 10;
const GROUP = 5;
const NORMALIZED_PATTERN = new RegExp(`^[${RECOVERY_ALPHABET}]{${CODE_LENGTH}}$`);

/** Ten distinct new codes, each shown as two groups of five: `abcde-fghjk`. */
export function newRecoveryCodes(): string[] {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(newRecoveryCode());
  return [...codes];
}

function newRecoveryCode(): string {
  // 256 is a multiple of 32: the low five bits of a random byte pick a symbol without bias.
  const symbols = [...randomBytes(CODE_LENGTH)].map((byte) => RECOVERY_ALPHABET[byte & 31]).join('');
  return `${symbols.slice(0, GROUP)}-${symbols.slice(GROUP)}`;
}

/** What a person typed, as it was generated: lower case, without spaces or dashes, l and 1 read as i. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]+/g, '').replace(/[l1]/g, 'i');
}

/** Whether the input has the shape of a recovery code (rather than, say, a six-digit TOTP code). */
export function looksLikeRecoveryCode(input: string): boolean {
  return NORMALIZED_PATTERN.test(normalizeRecoveryCode(input));
}

/** What the store keeps and looks up: SHA-256, base64url, of the normalized code. */
export function hashRecoveryCode(code: string): string {
  return hashSecret(normalizeRecoveryCode(code));
}
