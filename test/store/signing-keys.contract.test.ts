// Store contract: signing keys (SigningKeyRepository). Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0, MINUTE, newKey } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('signing keys', () => {
    it('lists keys newest first, ties broken by kid, with every field intact', async () => {
      const keys = [newKey('k-old', T0), newKey('k-new', T0 + 2 * MINUTE, { state: 'active', activatedAt: T0 + 2 * MINUTE }), newKey('k-b', T0 + MINUTE), newKey('k-a', T0 + MINUTE)];
      for (const key of keys) await store.signingKeys.insert(key);
      const listed = await store.signingKeys.list();
      expect(listed.map((k) => k.kid)).toEqual(['k-new', 'k-a', 'k-b', 'k-old']);
      expect(listed[0]).toEqual(keys[1]);
    });

    it('refuses a second key with the same kid', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      await expect(store.signingKeys.insert(newKey('k1', T0 + 1))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.signingKeys.list()).toEqual([newKey('k1', T0)]);
    });

    it('stamps activatedAt on the first activation only and retiredAt on retirement', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      expect(await store.signingKeys.setState('k1', 'active', T0 + 1)).toMatchObject({ state: 'active', activatedAt: T0 + 1, retiredAt: null });
      expect(await store.signingKeys.setState('k1', 'published', T0 + 2)).toMatchObject({ state: 'published', activatedAt: T0 + 1, retiredAt: null });
      expect(await store.signingKeys.setState('k1', 'active', T0 + 3)).toMatchObject({ state: 'active', activatedAt: T0 + 1, retiredAt: null });
      const retired = await store.signingKeys.setState('k1', 'retired', T0 + 4);
      expect(retired).toMatchObject({ state: 'retired', activatedAt: T0 + 1, retiredAt: T0 + 4 });
      expect((await store.signingKeys.list())[0]).toEqual(retired);
    });

    it('keeps the first retirement time when a retired key is retired again', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      await store.signingKeys.setState('k1', 'retired', T0 + 1);
      expect(await store.signingKeys.setState('k1', 'retired', T0 + 2)).toMatchObject({ retiredAt: T0 + 1, activatedAt: null });
    });

    it('answers null when setting the state of an unknown key, and changes no other key', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      expect(await store.signingKeys.setState('nobody', 'active', T0 + 1)).toBeNull();
      expect(await store.signingKeys.list()).toEqual([newKey('k1', T0)]);
    });
  });
});
