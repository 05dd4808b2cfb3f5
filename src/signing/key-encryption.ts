// Private keys at rest in the database: AES-256-GCM under KEY_ENCRYPTION_KEY, a fresh 96-bit nonce per key, and
// the kid as associated data, so a ciphertext moved to another key's row fails to decrypt instead of signing.
// seal/openSealed are the format itself, shared with other small secrets at rest (src/auth/secret-box.ts).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyStoreError } from '../errors.js';

const FORMAT = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts `plaintext` under a 32-byte key with `aad` as associated data: `v1.<nonce>.<ciphertext>.<tag>`, each
 * base64url. Throws KeyStoreError for a key of another length.
 */
export function seal(plaintext: string, aad: string, key: Buffer): string {
  if (key.length !== 32) throw new KeyStoreError('the key-encryption key must be 32 bytes');
  const nonce = randomBytes(NONCE_BYTES);
  // Stryker disable next-line ObjectLiteral: equivalent; 16 bytes is GCM's default tag length when encrypting (openSealed's own authTagLength is what refuses a shorter tag)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  // Stryker disable next-line StringLiteral: equivalent; Node reads a string as UTF-8 when the encoding is empty
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  // Stryker disable next-line StringLiteral: equivalent; Node reads a string as UTF-8 when the encoding is empty
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [FORMAT, nonce, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/**
 * Why a sealed value could not be opened: `format` (not a `v1.…` value this version reads) or `authentication`
 * (another key, other associated data, or altered bytes; GCM cannot tell these apart).
 */
export type OpenResult = { ok: true; plaintext: string } | { ok: false; problem: 'format' | 'authentication' };

/** Decrypts what seal() wrote with the same key and associated data; never throws. */
export function openSealed(sealed: string, aad: string, key: Buffer): OpenResult {
  const [format, nonce, ciphertext, tag, ...rest] = sealed.split('.');
  if (format !== FORMAT || !nonce || ciphertext === undefined || !tag || rest.length > 0) return { ok: false, problem: 'format' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'), { authTagLength: TAG_BYTES });
    // Stryker disable next-line StringLiteral: equivalent; Node reads a string as UTF-8 when the encoding is empty
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    return { ok: true, plaintext };
  } catch {
    return { ok: false, problem: 'authentication' };
  }
}

/** `v1.<nonce>.<ciphertext>.<tag>`, each base64url. */
export function encryptPrivateKey(pem: string, kid: string, kek: Buffer): string {
  return seal(pem, kid, kek);
}

export function decryptPrivateKey(sealed: string, kid: string, kek: Buffer): string {
  const opened = openSealed(sealed, kid, kek);
  if (opened.ok) return opened.plaintext;
  if (opened.problem === 'format') {
    throw new KeyStoreError(`signing key ${kid}: the stored private key is not in a format this version reads`);
  }
  throw new KeyStoreError(`signing key ${kid} cannot be decrypted: KEY_ENCRYPTION_KEY is not the key it was stored with, or the row was altered`);
}
