// The secret box's less travelled paths (src/auth/secret-box.ts): a key directory that does not exist yet, a
// secrets.key that is not a readable file, one that vanishes while it is being created, and the messages an
// operator reads when a key or a lookup value has the wrong size.
import { createHash, hkdfSync } from 'node:crypto';
import { mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { loadOrCreateKeyFile, openSecretBox, secretBox, SECRETS_KEY_FILE } from '../../src/auth/secret-box.js';
import { tempDir } from '../helpers/temp-dir.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((remove) => remove()));

function scratch(): string {
  const { dir, remove } = tempDir();
  cleanups.push(remove);
  return dir;
}
const sqlite = (dir: string) => ({ database: { engine: 'sqlite' as const }, keyEncryptionKey: null, keysDir: dir });

describe('secrets.key on disk: the unusual cases', () => {
  it('creates the key directory, parents included, when KEYS_DIR does not exist yet', async () => {
    const dir = path.join(scratch(), 'not', 'there', 'keys');
    const box = await openSecretBox(sqlite(dir));
    expect(readdirSync(dir)).toEqual([SECRETS_KEY_FILE]);
    expect(statSync(path.join(dir, SECRETS_KEY_FILE)).size).toBe(32);
    expect(box.open(box.seal('JBSWY3DP', 'totp:u'), 'totp:u')).toBe('JBSWY3DP');
  });

  it('refuses, naming the file, a secrets.key that cannot be read (here a directory), and creates nothing in its place', async () => {
    const dir = scratch();
    const file = path.join(dir, SECRETS_KEY_FILE);
    mkdirSync(file, { mode: 0o700 });
    await expect(openSecretBox(sqlite(dir))).rejects.toThrow(KeyStoreError);
    await expect(openSecretBox(sqlite(dir))).rejects.toThrow(`cannot read ${file}`);
    expect(statSync(file).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual([SECRETS_KEY_FILE]);
  });

  it('refuses a key file that is gone again once created (a dangling symbolic link in its place), leaving no temporary file', async () => {
    const dir = scratch();
    const file = path.join(dir, SECRETS_KEY_FILE);
    symlinkSync(path.join(dir, 'nowhere'), file);
    await expect(loadOrCreateKeyFile(file)).rejects.toThrow(KeyStoreError);
    await expect(loadOrCreateKeyFile(file)).rejects.toThrow(`${file} disappeared while it was being created`);
    expect(readdirSync(dir)).toEqual([SECRETS_KEY_FILE]);
  });
});

/** The files this process holds open under `dir` (Linux: /proc/self/fd). */
function openUnder(dir: string): string[] {
  const held: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) held.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return held;
}

describe('secrets.key is only read once it exists', () => {
  it('writes nothing into KEYS_DIR to read an existing key (the directory is not touched)', async () => {
    const dir = scratch();
    const file = path.join(dir, SECRETS_KEY_FILE);
    const key = Buffer.alloc(32, 5);
    writeFileSync(file, key, { mode: 0o600 });
    const past = new Date('2020-01-01T00:00:00Z');
    utimesSync(dir, past, past);
    expect((await loadOrCreateKeyFile(file)).equals(key)).toBe(true);
    expect(statSync(dir).mtimeMs).toBe(past.getTime());
    expect(readdirSync(dir)).toEqual([SECRETS_KEY_FILE]);
  });

  it.runIf(process.platform === 'linux')('leaves no file open, whether it created the key or read it', async () => {
    const dir = scratch();
    const file = path.join(dir, SECRETS_KEY_FILE);
    const created = await loadOrCreateKeyFile(file);
    expect(openUnder(dir)).toEqual([]);
    expect((await loadOrCreateKeyFile(file)).equals(created)).toBe(true);
    expect(openUnder(dir)).toEqual([]);
  });
});

describe('subkey: a key of its own per label (RFC 5869 HKDF-SHA-256 from the secrets key)', () => {
  const KEY = Buffer.alloc(32, 7);

  it('is HKDF-SHA-256 of the secrets key, no salt, the label as info, 32 bytes', () => {
    const expected = Buffer.from(hkdfSync('sha256', KEY, Buffer.alloc(0), 'gatehouse/test/v1', 32));
    const subkey = secretBox(KEY).subkey('gatehouse/test/v1');
    expect(subkey).toHaveLength(32);
    expect(subkey.equals(expected)).toBe(true);
  });

  it('is the same every time and on every box of that key, and differs by label and by key', () => {
    const one = secretBox(KEY).subkey('a');
    expect(secretBox(Buffer.from(KEY)).subkey('a').equals(one)).toBe(true);
    expect(secretBox(KEY).subkey('b').equals(one)).toBe(false);
    expect(secretBox(Buffer.alloc(32, 8)).subkey('a').equals(one)).toBe(false);
    expect(one.equals(KEY)).toBe(false);
    expect(one.equals(createHash('sha256').update(KEY).digest())).toBe(false);
  });
});

describe('what the operator is told', () => {
  it('names KEY_ENCRYPTION_KEY as required with PostgreSQL', async () => {
    await expect(openSecretBox({ database: { engine: 'postgres', url: 'postgres://x', poolSize: 1 }, keyEncryptionKey: null, keysDir: scratch() })).rejects.toThrow(
      /KEY_ENCRYPTION_KEY.*is required with DATABASE_URL/,
    );
  });

  it('says a secrets key must be 32 bytes', () => {
    for (const size of [0, 16, 31, 33]) {
      expect(() => secretBox(Buffer.alloc(size))).toThrow(KeyStoreError);
      expect(() => secretBox(Buffer.alloc(size))).toThrow('the secrets key must be 32 bytes');
    }
  });

  it('says a lookup value must be one 16-byte block, either way through the cipher', () => {
    const box = secretBox(Buffer.alloc(32, 7));
    for (const size of [0, 15, 17, 32]) {
      expect(() => box.encipherBlock(Buffer.alloc(size))).toThrow('a lookup value must be 16 bytes');
      expect(() => box.decipherBlock(Buffer.alloc(size))).toThrow('a lookup value must be 16 bytes');
    }
  });
});
