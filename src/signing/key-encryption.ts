// Private keys at rest in the database: AES-256-GCM under KEY_ENCRYPTION_KEY, a fresh 96-bit nonce per key, and
// the kid as associated data, so a ciphertext moved to another key's row fails to decrypt instead of signing.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyStoreError } from '../errors.js';

const FORMAT = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** `v1.<nonce>.<ciphertext>.<tag>`, each base64url. */
export function encryptPrivateKey(pem: string, kid: string, kek: Buffer): string {
  if (kek.length !== 32) throw new KeyStoreError('the key-encryption key must be 32 bytes');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return [FORMAT, nonce, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function decryptPrivateKey(sealed: string, kid: string, kek: Buffer): string {
  const [format, nonce, ciphertext, tag, ...rest] = sealed.split('.');
  if (format !== FORMAT || !nonce || ciphertext === undefined || !tag || rest.length > 0) {
    throw new KeyStoreError(`signing key ${kid}: the stored private key is not in a format this version reads`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(nonce, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyStoreError(`signing key ${kid} cannot be decrypted: KEY_ENCRYPTION_KEY is not the key it was stored with, or the row was altered`);
  }
}
