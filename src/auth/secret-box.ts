// Small secrets at rest (TOTP shared secrets): AES-256-GCM in the signing keys' format (src/signing/key-encryption.ts),
// with associated data naming the row a value belongs to (`totp:<userId>`), so a ciphertext copied into another
// person's row fails to open instead of working for them. And one keyed permutation for values that are looked up
// by equality (recovery codes, src/auth/recovery-codes.ts), under a key of its own derived from the same secret.
// The key: KEY_ENCRYPTION_KEY with PostgreSQL (every node shares it already); with SQLite, 32 random bytes in
// KEYS_DIR/secrets.key, created on first use (mode 0600 whatever the umask) and kept beside the signing keys (back
// both up together: without it every stored TOTP secret and recovery code is lost). Like a signing key file, a
// secrets.key other local users can read is refused (src/signing/file-key-store.ts).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { link, mkdir, open, unlink } from 'node:fs/promises';
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
  /**
   * One 16-byte block through AES-256 under the lookup key (below): deterministic, so the result can be found by
   * equality, and meaningless without the key. For digests only (recovery codes), never for structured data.
   */
  encipherBlock(block: Buffer): Buffer;
  /** The inverse of encipherBlock, to move a value from one key to another (`idp export` / `idp import`). */
  decipherBlock(block: Buffer): Buffer;
  /**
   * A 32-byte key of its own for `info` (RFC 5869 HKDF-SHA-256 from the secrets key), for a keyed derivation that
   * must give the same answer on every node (the successor of a refresh token, src/oidc/grants/refresh-retry.ts).
   */
  subkey(info: string): Buffer;
}

/**
 * RFC 5869 HKDF-SHA-256 `info` of the lookup key. A label of its own makes the key independent of the sealing key
 * (which is the secrets key itself): knowing or misusing one says nothing about the other.
 */
const LOOKUP_KEY_INFO = 'gatehouse/secret-box/lookup-key/v1';
const BLOCK_BYTES = 16;

function lookupKeyOf(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), LOOKUP_KEY_INFO, KEY_BYTES));
}

/** AES-256 on exactly one block, no padding: a keyed pseudorandom permutation of 128-bit values. */
function blockCipher(key: Buffer, block: Buffer, direction: 'encipher' | 'decipher'): Buffer {
  if (block.length !== BLOCK_BYTES) throw new KeyStoreError(`a lookup value must be ${BLOCK_BYTES} bytes`);
  const cipher = direction === 'encipher' ? createCipheriv('aes-256-ecb', key, null) : createDecipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** A box on a known 32-byte key. */
export function secretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new KeyStoreError(`the secrets key must be ${KEY_BYTES} bytes`);
  const lookupKey = lookupKeyOf(key);
  const box: SecretBox = {
    encipherBlock: (block) => blockCipher(lookupKey, block, 'encipher'),
    // Stryker disable next-line StringLiteral: equivalent; blockCipher tells the directions apart by 'encipher' alone
    decipherBlock: (block) => blockCipher(lookupKey, block, 'decipher'),
    subkey: (info) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, KEY_BYTES)),
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
 * first link wins and every other one reads the winner's key. The mode is set explicitly after creation: open()'s
 * mode goes through the umask, which may take away the owner's own bits (a umask of 0277 would leave 0400).
 */
export async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.chmod(0o600);
      await handle.writeFile(randomBytes(KEY_BYTES));
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Stryker disable next-line BlockStatement: linking our own new file in the same directory fails only with EEXIST (the race handled here); no test can make it fail otherwise
    await link(temporary, file).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeyStoreError(`cannot create ${file}: ${(error as Error).message}`);
    });
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  const key = await readKeyFile(file);
  if (!key) throw new KeyStoreError(`${file} disappeared while it was being created`);
  return key;
}

/**
 * The key, or null when the file does not exist; KeyStoreError when it is unreadable, not 32 bytes, or readable
 * by other local users. The last is refused like a signing key file (src/signing/file-key-store.ts, as ssh does
 * for private keys): a key others may have read may be known, and every sealed secret with it. The mode is read
 * from the open file, so a file swapped in between the check and the read is not what was checked.
 */
async function readKeyFile(file: string): Promise<Buffer | null> {
  let key: Buffer;
  let mode: number;
  try {
    const handle = await open(file, 'r');
    try {
      mode = (await handle.stat()).mode & 0o777;
      key = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KeyStoreError(`cannot read ${file}: ${(error as Error).message}`);
  }
  // Stryker disable next-line StringLiteral: equivalent off Windows, where the tests run: the platform differs from '' as from 'win32'
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyStoreError(`secrets key file ${file} is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`);
  }
  if (key.length !== KEY_BYTES) {
    throw new KeyStoreError(`${file} holds ${key.length} bytes, not ${KEY_BYTES}: restore it from a backup (a new key would make every stored TOTP secret unreadable)`);
  }
  return key;
}
