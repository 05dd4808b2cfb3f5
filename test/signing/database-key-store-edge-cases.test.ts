// DatabaseKeyStore's less travelled paths: a key set nobody can sign with (refused, never replaced), adopting a
// key (`idp import`), scheduling unless another node scheduled one, a row whose private key is another key's,
// decrypting once per process, and the poll that tells a node of changes made by another.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConflictError, KeyStoreError } from '../../src/errors.js';
import { DatabaseKeyStore } from '../../src/signing/database-key-store.js';
import { encryptPrivateKey } from '../../src/signing/key-encryption.js';
import type { SigningKey } from '../../src/signing/key-store.js';
import { generateRsaKey, rsaKeyToPem, type RsaKeyMaterial } from '../../src/signing/rsa-key.js';
import type { SigningKeyRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { engines, freshStorePerTest, T0 } from '../store/engines.js';

const KEK = Buffer.alloc(32, 9);
const MINUTE = 60_000;

const node = (store: Store, pollMs = 15_000) => new DatabaseKeyStore(store, KEK, 2048, pollMs);

/** Waits, a bounded number of polls, until `done` holds (the poll of another node is real time). */
async function until(done: () => boolean, polls = 100, everyMs = 20): Promise<void> {
  for (let i = 0; i < polls && !done(); i++) await sleep(everyMs);
}

/** A row for `material`'s kid whose sealed private key is `inside`'s (bound to the row's kid, so it decrypts). */
async function rowFor(material: RsaKeyMaterial, inside: RsaKeyMaterial, at: number): Promise<SigningKeyRecord> {
  return {
    kid: material.kid,
    alg: 'RS256',
    publicJwk: JSON.stringify(material.publicJwk),
    privateKeyCiphertext: encryptPrivateKey(await rsaKeyToPem(inside), material.kid, KEK),
    createdAt: at,
    activatedAt: at,
    retiredAt: null,
    revokedAt: null,
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  return error as Error;
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('signing keys in the store on %s: edge cases', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  it('refuses a key set in which every key is revoked, naming the way out, and adds no key', async () => {
    const [first] = await node(store).load(T0);
    await node(store).update(first?.kid ?? '', { revokedAt: T0 + MINUTE });
    const before = await store.signingKeys.list();
    const error = await rejection(node(store).load(T0 + 2 * MINUTE));
    expect(error).toBeInstanceOf(KeyStoreError);
    expect(error.message).toContain('can sign now');
    expect(error.message).toContain('idp keys rotate --now');
    expect(await store.signingKeys.list()).toEqual(before);
  });

  it('refuses a key set whose only key is pending, and adds no key', async () => {
    const keys = node(store);
    await keys.adopt({ ...(await generateRsaKey(2048)), alg: 'RS256', createdAt: T0, activatedAt: T0 + 10 * MINUTE, retiredAt: null, revokedAt: null });
    await expect(keys.load(T0)).rejects.toBeInstanceOf(KeyStoreError);
    expect(await store.signingKeys.list()).toHaveLength(1);
  });

  it('adopts a key made elsewhere with its facts, encrypted, readable by another node; refuses its kid twice', async () => {
    const material = await generateRsaKey(2048);
    const key: SigningKey = { ...material, alg: 'RS256', createdAt: T0, activatedAt: T0 + MINUTE, retiredAt: null, revokedAt: T0 + 2 * MINUTE };
    await node(store).adopt(key);
    const [row] = await store.signingKeys.list();
    expect(row?.privateKeyCiphertext).toMatch(/^v1\./);
    const [read] = await node(store).list();
    expect(read).toMatchObject({ kid: key.kid, publicJwk: key.publicJwk, createdAt: T0, activatedAt: T0 + MINUTE, retiredAt: null, revokedAt: T0 + 2 * MINUTE });
    await expect(node(store).adopt({ ...key, revokedAt: null })).rejects.toBeInstanceOf(ConflictError);
    expect((await node(store).list())[0]?.revokedAt).toBe(T0 + 2 * MINUTE);
  });

  it('schedules a key unless an unrevoked one is already scheduled (another node’s), then answers null', async () => {
    await node(store).load(T0);
    const scheduled = await node(store).rotateUnlessScheduled(T0 + MINUTE, T0 + 10 * MINUTE);
    expect(scheduled).toMatchObject({ createdAt: T0 + MINUTE, activatedAt: T0 + 10 * MINUTE, revokedAt: null });
    expect((await node(store).list())[0]?.kid).toBe(scheduled?.kid);
    expect(await node(store).rotateUnlessScheduled(T0 + 2 * MINUTE, T0 + 11 * MINUTE)).toBeNull();
    expect(await store.signingKeys.list()).toHaveLength(2);
  });

  it('refuses a row whose private key is another key’s (the thumbprint does not match its kid)', async () => {
    const [named, other] = [await generateRsaKey(2048), await generateRsaKey(2048)];
    await store.signingKeys.insert(await rowFor(named, other, T0));
    const error = await rejection(node(store).load(T0));
    expect(error).toBeInstanceOf(KeyStoreError);
    expect(error.message).toContain(`signing key ${named.kid} does not match its stored private key`);
    expect(error.message).toContain(other.kid);
  });

  it('decrypts each key once per process: later reads give the same key object', async () => {
    const keys = node(store);
    const [first] = await keys.load(T0);
    const [again] = await keys.list();
    expect(again?.privateKey).toBe(first?.privateKey);
    // Another process decrypts for itself.
    expect((await node(store).list())[0]?.privateKey).not.toBe(first?.privateKey);
  });

  it('tells a node of a key another node revoked (same number of keys), at its next poll', async () => {
    const [first] = await node(store).load(T0);
    await node(store).rotate(T0 + MINUTE);
    let changes = 0;
    const watcher = node(store, 20);
    const stop = watcher.watch(() => changes++);
    try {
      await sleep(100);
      expect(changes).toBe(0);
      await node(store).update(first?.kid ?? '', { revokedAt: T0 + 2 * MINUTE });
      await until(() => changes > 0);
      expect(changes).toBe(1);
    } finally {
      stop();
    }
  });

  it('polls no more once stopped', async () => {
    await node(store).load(T0);
    let changes = 0;
    const stop = node(store, 20).watch(() => changes++);
    // The first poll records what is there.
    await sleep(100);
    stop();
    await node(store).rotate(T0 + MINUTE);
    await sleep(200);
    expect(changes).toBe(0);
  });
});

describe('the poll of a slow store (DatabaseKeyStore.watch)', () => {
  it('never starts a poll while the previous one is still waiting for the store', async () => {
    let lists = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Only what watch() reads of the store: signing keys, listed slowly.
    const slow = {
      signingKeys: {
        list: async () => {
          lists++;
          await held;
          return [];
        },
      },
    } as unknown as Store;
    const stop = new DatabaseKeyStore(slow, KEK, 2048, 5).watch(() => undefined);
    try {
      await sleep(150);
      expect(lists).toBe(1);
    } finally {
      release();
      stop();
    }
  });
});

describe('a row repaired while the node runs (SQLite)', () => {
  it('reads the key once its row is repaired, without a restart: a refusal is not remembered', async () => {
    const { dir, remove } = tempDir();
    const file = path.join(dir, 'gatehouse.db');
    const store = openSqliteStore({ file, synchronous: 'NORMAL' });
    try {
      const [named, other] = [await generateRsaKey(2048), await generateRsaKey(2048)];
      await store.signingKeys.insert(await rowFor(named, other, T0));
      const keys = node(store);
      await expect(keys.load(T0)).rejects.toBeInstanceOf(KeyStoreError);
      // The operator puts back the row's own private key (from a backup, say).
      const db = new Database(file);
      try {
        db.prepare('UPDATE signing_keys SET private_key_ciphertext = ? WHERE kid = ?').run((await rowFor(named, named, T0)).privateKeyCiphertext, named.kid);
      } finally {
        db.close();
      }
      expect((await keys.load(T0)).map((key) => key.kid)).toEqual([named.kid]);
    } finally {
      await store.close();
      remove();
    }
  });
});
