// Small secrets at rest (TOTP shared secrets): AES-256-GCM in the signing keys' format (src/signing/key-encryption.ts),
// with associated data naming the row a value belongs to (`totp:<userId>`), so a ciphertext copied into another
// person's row fails to open instead of working for them.
// The key: KEY_ENCRYPTION_KEY with PostgreSQL (every node shares it already); with SQLite, 32 random bytes in
// KEYS_DIR/secrets.key, created on first use and kept beside the signing keys (back both up together: without it
// every stored TOTP secret is lost).
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { ConfigError, KeyStoreError } from '../errors.js';
import { openSealed, seal } from '../signing/key-encryption.js';

/** The key file's name inside KEYS_DIR. */
export const SECRETS_KEY_FILE = 'secrets.key';
const KEY_BYTES = 32;

export interface SecretBox {
  /** `v1.<nonce>.<ciphertext>.<tag>`; `aad` must be given again, unchanged, to open it. */
  seal(plaintext: string, aad: string): string;
  /** The plaintext; KeyStoreError when the value is malformed, altered, sealed under another key or another `aad`. */
  open(sealed: string, aad: string): string;
}

/** A box on a known 32-byte key. */
export function secretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new KeyStoreError(`the secrets key must be ${KEY_BYTES} bytes`);
  const box: SecretBox = {
    seal: (plaintext, aad) => seal(plaintext, aad, key),
    open(sealed, aad) {
      const opened = openSealed(sealed, aad, key);
      if (opened.ok) return opened.plaintext;
      // The associated data names the row (a user id): the log may have it, the public message need not.
      throw new KeyStoreError(
        opened.problem === 'format'
          ? 'a stored secret is not in a format this version reads'
          : 'a stored secret cannot be decrypted: the secrets key is not the one it was sealed with, or the row was altered',
        `associated data ${aad}`,
      );
    },
  };
  return Object.freeze(box);
}

/** The box for this deployment: KEY_ENCRYPTION_KEY with PostgreSQL, KEYS_DIR/secrets.key with SQLite. */
export async function openSecretBox(config: Pick<Config, 'database' | 'keyEncryptionKey' | 'keysDir'>): Promise<SecretBox> {
  if (config.database.engine === 'postgres') {
    if (!config.keyEncryptionKey) throw new ConfigError('KEY_ENCRYPTION_KEY', 'is required with DATABASE_URL');
    return secretBox(config.keyEncryptionKey);
  }
  return secretBox(await loadOrCreateKeyFile(path.join(config.keysDir, SECRETS_KEY_FILE)));
}

/**
 * Reads the key file, or creates it (mode 0600) when there is none. Creation writes a temporary file and links
 * it to the final name, which fails rather than replace an existing file: of processes starting together, the
 * first link wins and every other one reads the winner's key.
 */
export async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(randomBytes(KEY_BYTES));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw new KeyStoreError(`cannot create ${file}: ${error.message}`);
    });
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  const key = await readKeyFile(file);
  if (!key) throw new KeyStoreError(`${file} disappeared while it was being created`);
  return key;
}

/** The key, or null when the file does not exist; KeyStoreError when it is unreadable or not 32 bytes. */
async function readKeyFile(file: string): Promise<Buffer | null> {
  let key: Buffer;
  try {
    key = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KeyStoreError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (key.length !== KEY_BYTES) {
    throw new KeyStoreError(
      `${file} holds ${key.length} bytes, not ${KEY_BYTES}: restore it from a backup (a new key would make every stored TOTP secret unreadable)`,
    );
  }
  return key;
}
