// Signing keys kept in the store (PostgreSQL mode), run on every engine: several nodes share one key set, the
// private keys are encrypted, and a change made by one node reaches the others by polling.
import { describe, expect, it } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { DatabaseKeyStore, FIRST_KEY_BACKDATE_MS } from '../../src/signing/database-key-store.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0 } from '../store/engines.js';

const KEK = Buffer.alloc(32, 9);
const MINUTE = 60_000;

describe.each(engines.map((engine) => [engine.name, engine] as const))('signing keys in the store on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  it('creates one active key on an empty store, stored encrypted, and every node then reads the same key', async () => {
    const nodeA = new DatabaseKeyStore(store, KEK, 2048, 15_000);
    const [created] = await nodeA.load(T0);
    const [row] = await store.signingKeys.list();
    expect(row?.kid).toBe(created?.kid);
    expect(row?.privateKeyCiphertext).toMatch(/^v1\./);
    expect(row?.privateKeyCiphertext).not.toContain('PRIVATE KEY');
    expect(JSON.parse(row?.publicJwk ?? '{}')).toEqual(created?.publicJwk);
    const nodeB = new DatabaseKeyStore(store, KEK, 2048, 15_000);
    const [seen] = await nodeB.load(T0 + 1);
    expect(seen?.kid).toBe(created?.kid);
    expect(seen?.activatedAt).toBe(T0 - FIRST_KEY_BACKDATE_MS);
  });

  it('lets a node whose clock lags the creator’s (or that read the time before it) sign with the first key at once', async () => {
    const [created] = await new DatabaseKeyStore(store, KEK, 2048, 15_000).load(T0);
    // Up to the backdating margin behind: the key is active for this node too, not pending with nothing to sign.
    const lagging = await new DatabaseKeyStore(store, KEK, 2048, 15_000).load(T0 - FIRST_KEY_BACKDATE_MS + 1);
    expect(lagging.map((key) => key.kid)).toEqual([created?.kid]);
  });

  it('gives nodes that start together on an empty store one and the same first key', async () => {
    const nodes = [1, 2, 3].map(() => new DatabaseKeyStore(store, KEK, 2048, 15_000));
    const loaded = await Promise.all(nodes.map((node) => node.load(T0)));
    expect(loaded.map((keys) => keys.map((key) => key.kid))).toEqual([0, 1, 2].map(() => [loaded[0]?.[0]?.kid]));
    expect(await store.signingKeys.list()).toHaveLength(1);
  });

  it('keeps scheduled activations and revocations as facts', async () => {
    const keys = new DatabaseKeyStore(store, KEK, 2048, 15_000);
    await keys.load(T0);
    const next = await keys.rotate(T0 + MINUTE, T0 + 10 * MINUTE);
    expect(await keys.update(next.kid, { revokedAt: T0 + 2 * MINUTE })).toMatchObject({ kid: next.kid, activatedAt: T0 + 10 * MINUTE, revokedAt: T0 + 2 * MINUTE });
    expect((await keys.list()).map((key) => key.kid)[0]).toBe(next.kid);
    expect(await keys.update('no-such-kid', { revokedAt: T0 })).toBeNull();
    // Kept in the store: another node reads the same facts back.
    const [readBack] = await new DatabaseKeyStore(store, KEK, 2048, 15_000).list();
    expect(readBack).toMatchObject({ kid: next.kid, createdAt: T0 + MINUTE, activatedAt: T0 + 10 * MINUTE, revokedAt: T0 + 2 * MINUTE });
  });

  it('refuses to start with another KEY_ENCRYPTION_KEY rather than replace the keys', async () => {
    await new DatabaseKeyStore(store, KEK, 2048, 15_000).load(T0);
    await expect(new DatabaseKeyStore(store, Buffer.alloc(32, 1), 2048, 15_000).load(T0)).rejects.toThrow(KeyStoreError);
    expect(await store.signingKeys.list()).toHaveLength(1);
  });

  it('tells a node of a key another node added, at its next poll', async () => {
    const nodeA = new DatabaseKeyStore(store, KEK, 2048, 50);
    const nodeB = new DatabaseKeyStore(store, KEK, 2048, 50);
    await nodeA.load(T0);
    let changes = 0;
    const stop = nodeB.watch(() => changes++);
    try {
      // The first poll records what is there; only later polls report changes.
      for (let i = 0; i < 20 && changes === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(changes).toBe(0);
      await nodeA.rotate(T0 + MINUTE);
      for (let i = 0; i < 100 && changes === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(changes).toBe(1);
    } finally {
      stop();
    }
  });
});
