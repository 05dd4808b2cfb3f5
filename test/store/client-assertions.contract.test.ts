// Store contract: client assertion jtis (ClientAssertionRepository, RFC 7523 §3 (7), issue 22): each (client, jti)
// is accepted once, on any number of nodes, and remembered until the assertion expires. Shared pieces: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newClient, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });
  beforeEach(async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.clients.create(newClient('batch', 'Batch'), T0);
  });

  describe('client assertion jtis', () => {
    it('accepts a jti once per client; another client may use the same jti', async () => {
      expect(await store.clientAssertions.use('rp', 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.clientAssertions.use('rp', 'jti-1', T0 + MINUTE)).toBe(false);
      // A replay with another expiry is still a replay.
      expect(await store.clientAssertions.use('rp', 'jti-1', T0 + 2 * MINUTE)).toBe(false);
      expect(await store.clientAssertions.use('batch', 'jti-1', T0 + MINUTE)).toBe(true);
      // Compared exactly.
      expect(await store.clientAssertions.use('rp', 'JTI-1', T0 + MINUTE)).toBe(true);
    });

    it('lets exactly one of twenty concurrent uses of one jti through', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.clientAssertions.use('rp', 'raced', T0 + MINUTE)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('still refuses an expired jti until it is swept, and forgets it after', async () => {
      await store.clientAssertions.use('rp', 'old', T0);
      await store.clientAssertions.use('rp', 'live', T0 + 1);
      expect(await store.clientAssertions.use('rp', 'old', T0 + 5 * MINUTE)).toBe(false);
      expect(await store.clientAssertions.deleteExpired(T0)).toBe(1);
      expect(await store.clientAssertions.deleteExpired(T0)).toBe(0);
      expect(await store.clientAssertions.use('rp', 'live', T0 + 1)).toBe(false);
      expect(await store.clientAssertions.use('rp', 'old', T0 + 5 * MINUTE)).toBe(true);
    });

    it('refuses a client that is not there (NotFoundError) and records nothing', async () => {
      await expect(store.clientAssertions.use('nobody', 'jti-1', T0 + MINUTE)).rejects.toBeInstanceOf(NotFoundError);
      await store.clients.create(newClient('nobody', 'Now here'), T0);
      expect(await store.clientAssertions.use('nobody', 'jti-1', T0 + MINUTE)).toBe(true);
    });

    it('goes with its client (foreign key, ON DELETE CASCADE)', async () => {
      await store.clientAssertions.use('rp', 'jti-1', T0 + MINUTE);
      await store.clientAssertions.use('batch', 'jti-1', T0 + MINUTE);
      expect(await store.clients.delete('rp')).toBe(true);
      await store.clients.create(newClient('rp', 'RP again'), T0);
      expect(await store.clientAssertions.use('rp', 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.clientAssertions.use('batch', 'jti-1', T0 + MINUTE)).toBe(false);
    });
  });
});
