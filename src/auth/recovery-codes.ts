// Recovery codes: ten single-use codes shown once when a second factor is set up, for when the authenticator is
// lost. Each is 10 characters of a 32-symbol alphabet (50 bits): enough online, against the sign-in throttle, but
// not offline: a plain SHA-256 of 50 bits falls to one sweep of 2^50 hashes, every account's codes at once. So
// what the store keeps is keyed and bound to its person (`h1:`, recoveryCodeHash below): a copy of the database
// alone gives nothing to sweep, and even with the secrets key each person's codes are a sweep of their own.
//
// Why a keyed permutation and not an HMAC: an HMAC cannot be moved to another key. `idp import` into a store with
// another secrets key (every SQLite to PostgreSQL move: KEYS_DIR/secrets.key there, KEY_ENCRYPTION_KEY here) would
// silently void every person's codes, found out only on the day the phone is lost. One AES block under a key
// derived for this alone (SecretBox.encipherBlock) is as opaque without the key, and the transfer takes it off
// under one key and puts it on under the next, as it re-seals TOTP secrets (src/manage/transfer-secrets.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { SecretBox } from './secret-box.js';
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
  return input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[l1]/g, 'i');
}

/** Whether the input has the shape of a recovery code (rather than, say, a six-digit TOTP code). */
export function looksLikeRecoveryCode(input: string): boolean {
  return NORMALIZED_PATTERN.test(normalizeRecoveryCode(input));
}

/** Marks a stored code of the keyed format; a value without it is a legacy plain SHA-256 (legacyRecoveryCodeHash). */
export const RECOVERY_HASH_PREFIX = 'h1:';

/**
 * The person-bound digest under the key: SHA-256 of a label, the user id and the normalized code, cut to one AES
 * block (128 bits: far beyond the code's own 50, so a collision costs more than guessing the code).
 */
function recoveryCodeDigest(userId: string, code: string): Buffer {
  return createHash('sha256')
    .update(`gatehouse/recovery-code/v1\0${userId}\0${normalizeRecoveryCode(code)}`)
    .digest()
    .subarray(0, 16);
}

/** What the store keeps and looks up for a code made now: `h1:` and the keyed digest, base64url. */
export function recoveryCodeHash(box: SecretBox, userId: string, code: string): string {
  return RECOVERY_HASH_PREFIX + box.encipherBlock(recoveryCodeDigest(userId, code)).toString('base64url');
}

/**
 * What codes made before the keyed format were stored as (SHA-256, base64url, of the normalized code). Still
 * accepted, each once, until used or replaced: nobody loses the codes they printed.
 */
export function legacyRecoveryCodeHash(code: string): string {
  return hashSecret(normalizeRecoveryCode(code));
}

/** @deprecated The legacy format, under its old name, for callers that store made-up codes (tests); use recoveryCodeHash. */
export const hashRecoveryCode = legacyRecoveryCodeHash;

/** The forms a typed code may be stored under, the current one first. */
export function recoveryCodeCandidates(box: SecretBox, userId: string, code: string): string[] {
  return [recoveryCodeHash(box, userId, code), legacyRecoveryCodeHash(code)];
}

/**
 * A stored value moved from one box's key to another's (`idp export`, `idp import`); a legacy value is keyed by
 * nothing and moves as it is. Null when the value claims the keyed format but is not one.
 */
export function rekeyRecoveryCodeHash(stored: string, from: SecretBox, to: SecretBox): string | null {
  if (!stored.startsWith(RECOVERY_HASH_PREFIX)) return stored;
  const block = Buffer.from(stored.slice(RECOVERY_HASH_PREFIX.length), 'base64url');
  if (block.length !== 16 || block.toString('base64url') !== stored.slice(RECOVERY_HASH_PREFIX.length)) return null;
  return RECOVERY_HASH_PREFIX + to.encipherBlock(from.decipherBlock(block)).toString('base64url');
}
