// Private keys at rest (PostgreSQL mode): AES-256-GCM under KEY_ENCRYPTION_KEY, bound to the kid.
import { describe, expect, it } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { decryptPrivateKey, encryptPrivateKey } from '../../src/signing/key-encryption.js';

const KEK = Buffer.alloc(32, 3);
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';

describe('private-key encryption (AES-256-GCM under KEY_ENCRYPTION_KEY)', () => {
  it('decrypts what it encrypted, and never stores the key in clear', () => {
    const sealed = encryptPrivateKey(PEM, 'kid-1', KEK);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(decryptPrivateKey(sealed, 'kid-1', KEK)).toBe(PEM);
  });

  it('uses a fresh nonce each time, so equal keys never give equal ciphertexts', () => {
    expect(encryptPrivateKey(PEM, 'kid-1', KEK)).not.toBe(encryptPrivateKey(PEM, 'kid-1', KEK));
  });

  it('refuses another KEY_ENCRYPTION_KEY, saying which key failed', () => {
    const sealed = encryptPrivateKey(PEM, 'kid-1', KEK);
    expect(() => decryptPrivateKey(sealed, 'kid-1', Buffer.alloc(32, 4))).toThrow(KeyStoreError);
    expect(() => decryptPrivateKey(sealed, 'kid-1', Buffer.alloc(32, 4))).toThrow(/signing key kid-1 cannot be decrypted: KEY_ENCRYPTION_KEY/);
  });

  it('refuses a ciphertext moved to another kid’s row (the kid is authenticated data)', () => {
    expect(() => decryptPrivateKey(encryptPrivateKey(PEM, 'kid-1', KEK), 'kid-2', KEK)).toThrow(KeyStoreError);
  });

  it('refuses an altered ciphertext or tag, and a format it does not know', () => {
    const [format, nonce, ciphertext, tag] = encryptPrivateKey(PEM, 'kid-1', KEK).split('.');
    const flipped = (part = '') => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
    expect(() => decryptPrivateKey([format, nonce, flipped(ciphertext), tag].join('.'), 'kid-1', KEK)).toThrow(KeyStoreError);
    expect(() => decryptPrivateKey([format, nonce, ciphertext, flipped(tag)].join('.'), 'kid-1', KEK)).toThrow(KeyStoreError);
    expect(() => decryptPrivateKey(['v2', nonce, ciphertext, tag].join('.'), 'kid-1', KEK)).toThrow(/not in a format this version reads/);
  });

  it('refuses a key-encryption key that is not 32 bytes', () => {
    expect(() => encryptPrivateKey(PEM, 'kid-1', Buffer.alloc(16))).toThrow(KeyStoreError);
  });
});
