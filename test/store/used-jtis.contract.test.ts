// Store contract: single-use JWT ids (UsedJtiRepository, issue 28): a request object's jti per client (RFC 9101
// §10.8) and a DPoP proof's jti per key (RFC 9449 §11.1), each accepted once on any number of nodes and remembered
// until the JWT could no longer be accepted. Shared pieces: ./engines.ts.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, T0 } from './engines.js';

/** An RFC 7638 thumbprint's shape: a DPoP proof's scope is its key, not a client (no client needs to exist). */
const KEY_A = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const KEY_B = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('used jtis', () => {
    it('accepts a jti once; a replay with another expiry is still a replay', async () => {
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'jti-1', T0 + MINUTE)).toBe(false);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'jti-1', T0 + 2 * MINUTE)).toBe(false);
      // Compared exactly.
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'JTI-1', T0 + MINUTE)).toBe(true);
    });

    it('keeps scopes apart: another key (or client) may use the same jti', async () => {
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('dpop_proof', KEY_B, 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('request_object', 'rp', 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('request_object', 'other', 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('request_object', 'rp', 'jti-1', T0 + MINUTE)).toBe(false);
    });

    it('keeps kinds apart: a request object and a DPoP proof with the same scope and jti are both accepted', async () => {
      expect(await store.usedJtis.use('request_object', 'same', 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('dpop_proof', 'same', 'jti-1', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('dpop_proof', 'same', 'jti-1', T0 + MINUTE)).toBe(false);
      expect(await store.usedJtis.use('request_object', 'same', 'jti-1', T0 + MINUTE)).toBe(false);
    });

    it('refuses a kind it does not know and records nothing (the column is CHECKed)', async () => {
      // @ts-expect-error: not a UsedJtiKind, as a bug elsewhere might pass.
      await expect(store.usedJtis.use('client_assertion', KEY_A, 'jti-1', T0 + MINUTE)).rejects.toThrow();
      expect(await store.usedJtis.deleteExpired(T0 + 10 * MINUTE)).toBe(0);
    });

    it('lets exactly one of twenty concurrent uses of one jti through', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.usedJtis.use('dpop_proof', KEY_A, 'raced', T0 + MINUTE)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('lets exactly one of twenty uses on two stores (two nodes) through', async () => {
      const opened = await engine.open();
      try {
        const second = await opened.second();
        try {
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? opened.store : second).usedJtis.use('request_object', 'rp', 'raced', T0 + MINUTE)));
          expect(results.filter(Boolean)).toHaveLength(1);
        } finally {
          await second.close();
        }
      } finally {
        await opened.destroy();
      }
    });

    it('still refuses an expired jti until it is swept, and forgets it after', async () => {
      await store.usedJtis.use('dpop_proof', KEY_A, 'old', T0);
      await store.usedJtis.use('request_object', 'rp', 'old', T0);
      await store.usedJtis.use('dpop_proof', KEY_A, 'live', T0 + 1);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'old', T0 + 5 * MINUTE)).toBe(false);
      expect(await store.usedJtis.deleteExpired(T0)).toBe(2);
      expect(await store.usedJtis.deleteExpired(T0)).toBe(0);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'live', T0 + 1)).toBe(false);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'old', T0 + 5 * MINUTE)).toBe(true);
      expect(await store.usedJtis.use('request_object', 'rp', 'old', T0 + 5 * MINUTE)).toBe(true);
    });

    it('keeps a long jti whole (a proof may carry up to 200 characters)', async () => {
      const long = 'x'.repeat(199) + 'y';
      expect(await store.usedJtis.use('dpop_proof', KEY_A, long, T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, 'x'.repeat(199) + 'z', T0 + MINUTE)).toBe(true);
      expect(await store.usedJtis.use('dpop_proof', KEY_A, long, T0 + MINUTE)).toBe(false);
    });
  });
});
