// Small secrets at rest (src/auth/secret-box.ts): AES-256-GCM bound to the row by associated data, under
// KEY_ENCRYPTION_KEY with PostgreSQL or KEYS_DIR/secrets.key with SQLite.
import { chmodSync, statSync, writeFileSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, KeyStoreError } from '../../src/errors.js';
import { openSecretBox, secretBox, SECRETS_KEY_FILE } from '../../src/auth/secret-box.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEY = Buffer.alloc(32, 7);
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((remove) => remove()));

function keysDir(): string {
  const { dir, remove } = tempDir();
  cleanups.push(remove);
  return path.join(dir, 'keys');
}
const sqlite = (dir: string) => ({ database: { engine: 'sqlite' as const }, keyEncryptionKey: null, keysDir: dir });

describe('secret box (AES-256-GCM, the associated data binds a value to its row)', () => {
  it('opens what it sealed, in the v1 format, never holding the secret in clear', () => {
    const box = secretBox(KEY);
    const sealed = box.seal(SECRET, 'totp:user-1');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain(SECRET);
    expect(box.open(sealed, 'totp:user-1')).toBe(SECRET);
    expect(box.seal(SECRET, 'totp:user-1')).not.toBe(sealed);
  });

  it('refuses a value moved to another person’s row (other associated data), keeping the user id out of the message', () => {
    const box = secretBox(KEY);
    const sealed = box.seal(SECRET, 'totp:user-1');
    expect(() => box.open(sealed, 'totp:user-2')).toThrow(KeyStoreError);
    try {
      box.open(sealed, 'totp:user-2');
    } catch (error) {
      expect((error as KeyStoreError).message).not.toContain('user-2');
      expect((error as KeyStoreError).detail).toContain('totp:user-2');
    }
  });

  it('refuses an altered ciphertext or tag, another key, and a format it does not know', () => {
    const box = secretBox(KEY);
    const [format, nonce, ciphertext, tag] = box.seal(SECRET, 'totp:user-1').split('.');
    const flipped = (part = '') => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
    expect(() => box.open([format, nonce, flipped(ciphertext), tag].join('.'), 'totp:user-1')).toThrow(/cannot be decrypted/);
    expect(() => box.open([format, nonce, ciphertext, flipped(tag)].join('.'), 'totp:user-1')).toThrow(/cannot be decrypted/);
    expect(() => secretBox(Buffer.alloc(32, 8)).open([format, nonce, ciphertext, tag].join('.'), 'totp:user-1')).toThrow(KeyStoreError);
    expect(() => box.open(['v2', nonce, ciphertext, tag].join('.'), 'totp:user-1')).toThrow(/not in a format this version reads/);
    expect(() => box.open(SECRET, 'totp:user-1')).toThrow(/not in a format this version reads/);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => secretBox(Buffer.alloc(16))).toThrow(KeyStoreError);
  });

  it('enciphers single blocks for lookups deterministically, reversibly, and under a key of their own', () => {
    const box = secretBox(KEY);
    const block = Buffer.alloc(16, 1);
    const enciphered = box.encipherBlock(block);
    expect(enciphered).toHaveLength(16);
    expect(box.encipherBlock(block).equals(enciphered)).toBe(true);
    expect(box.decipherBlock(enciphered).equals(block)).toBe(true);
    expect(secretBox(Buffer.alloc(32, 8)).encipherBlock(block).equals(enciphered)).toBe(false);
    expect(() => box.encipherBlock(Buffer.alloc(32))).toThrow(KeyStoreError);
  });
});

describe('openSecretBox: where the key comes from', () => {
  it('uses KEY_ENCRYPTION_KEY with PostgreSQL, and writes no key file', async () => {
    const dir = keysDir();
    const box = await openSecretBox({ database: { engine: 'postgres', url: 'postgres://x', poolSize: 1 }, keyEncryptionKey: KEY, keysDir: dir });
    expect(secretBox(KEY).open(box.seal(SECRET, 'totp:u'), 'totp:u')).toBe(SECRET);
    expect(() => statSync(dir)).toThrow();
  });

  it('requires KEY_ENCRYPTION_KEY with PostgreSQL', async () => {
    await expect(openSecretBox({ database: { engine: 'postgres', url: 'postgres://x', poolSize: 1 }, keyEncryptionKey: null, keysDir: keysDir() })).rejects.toThrow(ConfigError);
  });

  it('creates KEYS_DIR/secrets.key with SQLite, 32 bytes and mode 0600, and reuses it on the next start', async () => {
    const dir = keysDir();
    const first = await openSecretBox(sqlite(dir));
    const file = path.join(dir, SECRETS_KEY_FILE);
    const key = readFileSync(file);
    expect(key).toHaveLength(32);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = first.seal(SECRET, 'totp:u');

    const second = await openSecretBox(sqlite(dir));
    expect(second.open(sealed, 'totp:u')).toBe(SECRET);
    expect(readFileSync(file).equals(key)).toBe(true);
    expect(readdirSync(dir)).toEqual([SECRETS_KEY_FILE]);
  });

  it('agrees on one key when several processes start at once (no file replaced, no temporary file left)', async () => {
    const dir = keysDir();
    const boxes = await Promise.all(Array.from({ length: 12 }, () => openSecretBox(sqlite(dir))));
    const sealed = boxes[0]!.seal(SECRET, 'totp:u');
    for (const box of boxes) expect(box.open(sealed, 'totp:u')).toBe(SECRET);
    expect(readdirSync(dir)).toEqual([SECRETS_KEY_FILE]);
  });

  it('refuses a secrets.key other local users can read, like a signing key, and leaves it as it is (issue 19, F10)', async () => {
    const dir = keysDir();
    const first = await openSecretBox(sqlite(dir));
    const file = path.join(dir, SECRETS_KEY_FILE);
    const sealed = first.seal(SECRET, 'totp:u');
    for (const mode of [0o640, 0o604, 0o660]) {
      chmodSync(file, mode);
      await expect(openSecretBox(sqlite(dir))).rejects.toThrow(KeyStoreError);
      await expect(openSecretBox(sqlite(dir))).rejects.toThrow(`secrets key file ${file} is accessible to other users (mode 0${mode.toString(8)}); run chmod 600 on it`);
      expect(statSync(file).mode & 0o777).toBe(mode);
    }
    chmodSync(file, 0o600);
    expect((await openSecretBox(sqlite(dir))).open(sealed, 'totp:u')).toBe(SECRET);
  });

  it('creates secrets.key with mode 0600 whatever the umask', async () => {
    for (const umask of [0o000, 0o022, 0o277]) {
      const dir = keysDir();
      // The directory as an operator made it; the umask then applies to the key file alone.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const previous = process.umask(umask);
      try {
        await openSecretBox(sqlite(dir));
      } finally {
        process.umask(previous);
      }
      expect(statSync(path.join(dir, SECRETS_KEY_FILE)).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses a key file of the wrong length instead of replacing it', async () => {
    const dir = keysDir();
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, SECRETS_KEY_FILE);
    writeFileSync(file, Buffer.alloc(31), { mode: 0o600 });
    await expect(openSecretBox(sqlite(dir))).rejects.toThrow(KeyStoreError);
    await expect(openSecretBox(sqlite(dir))).rejects.toThrow(/holds 31 bytes, not 32/);
    expect(readFileSync(file)).toHaveLength(31);
  });
});
