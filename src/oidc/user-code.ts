// The user code of a device authorization (RFC 8628 §3.2, §6.1): what a person reads off a television or a terminal
// and types on their phone. Eight letters from an alphabet of twenty consonants, shown as two groups of four
// (`BDFG-HJKL`): no vowels, so that no word (rude or otherwise) can appear, and no digits or look-alike letters to
// misread (§6.1 recommends exactly this alphabet). 20^8 ≈ 2.6 × 10^10 codes (34.5 bits): too few to resist guessing
// alone, which is why typing them is throttled per browser, person and address (src/auth/throttle.ts, RFC 8628
// §5.1) and why a code lives minutes (DEVICE_CODE_TTL). What a person types is compared case- and dash-insensitively
// (§6.1: "the verification page SHOULD ignore case and punctuation"); only its hash is stored.
import { randomInt } from 'node:crypto';
import { hashSecret } from '../auth/secrets.js';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** Longer input than this is not read at all: no code, however it is spaced, is this long. */
const MAX_INPUT_LENGTH = 64;

const NORMALISED = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);

/** A new code, normalised (eight letters, no dash): each letter drawn uniformly with the CSPRNG (crypto.randomInt). */
export function drawUserCode(): string {
  return Array.from({ length: USER_CODE_LENGTH }, () => USER_CODE_ALPHABET.charAt(randomInt(USER_CODE_ALPHABET.length))).join('');
}

/** The normalised code as people read it: `BDFG-HJKL`. */
export function formatUserCode(normalised: string): string {
  return `${normalised.slice(0, USER_CODE_LENGTH / 2)}-${normalised.slice(USER_CODE_LENGTH / 2)}`;
}

/**
 * What a person typed, as a normalised code: upper case, without dashes and whitespace; null when what remains is
 * not eight letters of the alphabet (not a code at all, so never looked up).
 */
export function normaliseUserCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  const normalised = input.toUpperCase().replace(/[\s\-\u2010-\u2015\u2212]/g, '');
  return NORMALISED.test(normalised) ? normalised : null;
}

/** The stored form of a normalised code (DeviceCodeRecord.userCodeHash). */
export function userCodeHash(normalised: string): string {
  return hashSecret(normalised);
}
