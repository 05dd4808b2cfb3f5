// Store contract: signing keys (SigningKeyRepository), kept as facts (src/signing/key-schedule.ts computes the
// state). Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0, MINUTE, newKey, type OpenedStore } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('signing keys', () => {
    it('lists keys newest first, ties broken by kid, with every field intact', async () => {
      const keys = [
        newKey('k-old', T0, { retiredAt: T0 + 5 * MINUTE }),
        newKey('k-new', T0 + 2 * MINUTE, { activatedAt: T0 + 9 * MINUTE }),
        newKey('k-b', T0 + MINUTE, { revokedAt: T0 + 3 * MINUTE }),
        newKey('k-a', T0 + MINUTE),
      ];
      for (const key of keys) await store.signingKeys.insert(key);
      const listed = await store.signingKeys.list();
      expect(listed.map((k) => k.kid)).toEqual(['k-new', 'k-a', 'k-b', 'k-old']);
      expect(listed).toEqual([keys[1], keys[3], keys[2], keys[0]]);
    });

    it('inserts a first key for exactly one of several concurrent callers, and none into a table that has a key', async () => {
      // Every pooled connection open first, so that the callers really overlap.
      await Promise.all(Array.from({ length: 8 }, () => store.signingKeys.list()));
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => `k${i}`).map((kid) => store.signingKeys.insertUnlessScheduled(newKey(kid, T0), Number.MIN_SAFE_INTEGER)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const listed = await store.signingKeys.list();
      expect(listed).toHaveLength(1);
      expect(await store.signingKeys.insertUnlessScheduled(newKey('k5', T0), Number.MIN_SAFE_INTEGER)).toBe(false);
      expect(await store.signingKeys.list()).toEqual(listed);
    });

    it('schedules one key when several callers find the same rotation due, and one again once it has activated', async () => {
      await store.signingKeys.insert(newKey('current', T0));
      await Promise.all(Array.from({ length: 8 }, () => store.signingKeys.list()));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.signingKeys.insertUnlessScheduled(newKey(`next${i}`, T0 + MINUTE, { activatedAt: T0 + 10 * MINUTE + i }), T0 + MINUTE)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.signingKeys.list()).toHaveLength(2);
      // A revoked scheduled key does not count, and neither does one that has activated by `after`.
      const [scheduled] = await store.signingKeys.list();
      await store.signingKeys.update(scheduled?.kid ?? '', { revokedAt: T0 + 2 * MINUTE });
      expect(await store.signingKeys.insertUnlessScheduled(newKey('replacement', T0 + 2 * MINUTE, { activatedAt: T0 + 20 * MINUTE }), T0 + 2 * MINUTE)).toBe(true);
      expect(await store.signingKeys.insertUnlessScheduled(newKey('later', T0 + 30 * MINUTE, { activatedAt: T0 + 40 * MINUTE }), T0 + 30 * MINUTE)).toBe(true);
    });

    it('refuses a second key with the same kid', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      await expect(store.signingKeys.insert(newKey('k1', T0 + 1))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.signingKeys.list()).toEqual([newKey('k1', T0)]);
    });

    it('records a brought-forward activation and a revocation, keeping every other fact', async () => {
      await store.signingKeys.insert(newKey('k1', T0, { activatedAt: T0 + 10 * MINUTE }));
      expect(await store.signingKeys.update('k1', { activatedAt: T0 + MINUTE })).toEqual(newKey('k1', T0, { activatedAt: T0 + MINUTE }));
      const revoked = await store.signingKeys.update('k1', { revokedAt: T0 + 2 * MINUTE });
      expect(revoked).toEqual(newKey('k1', T0, { activatedAt: T0 + MINUTE, revokedAt: T0 + 2 * MINUTE }));
      expect(await store.signingKeys.list()).toEqual([revoked]);
    });

    it('stores a retirement only while the key has none: the first one stays, every other fact is kept', async () => {
      await store.signingKeys.insert(newKey('k1', T0, { activatedAt: T0 + MINUTE }));
      const decided = newKey('k1', T0, { activatedAt: T0 + MINUTE, retiredAt: T0 + 60 * MINUTE });
      expect(await store.signingKeys.update('k1', { retiredAt: T0 + 60 * MINUTE })).toEqual(decided);
      // Later decisions (other lifetimes, later or earlier) change nothing and get the stored one back.
      expect(await store.signingKeys.update('k1', { retiredAt: T0 + 600 * MINUTE })).toEqual(decided);
      expect(await store.signingKeys.update('k1', { retiredAt: T0 + 6 * MINUTE })).toEqual(decided);
      // A revocation is recorded over it, the retirement kept.
      const revoked = await store.signingKeys.update('k1', { revokedAt: T0 + 2 * MINUTE });
      expect(revoked).toEqual({ ...decided, revokedAt: T0 + 2 * MINUTE });
      expect(await store.signingKeys.list()).toEqual([revoked]);
    });

    it('answers null when changing an unknown key, and changes no other key', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      expect(await store.signingKeys.update('nobody', { revokedAt: T0 + 1 })).toBeNull();
      expect(await store.signingKeys.list()).toEqual([newKey('k1', T0)]);
    });
  });

  describe('signing keys on several connections', () => {
    let opened: OpenedStore;
    const seconds: Store[] = [];
    beforeEach(async () => {
      opened = await engine.open();
      for (let i = 0; i < 3; i++) seconds.push(await opened.second());
    });
    afterEach(async () => {
      for (const second of seconds.splice(0)) await second.close();
      await opened.destroy();
    });

    it('keeps one retirement when nodes decide at once, and tells every node that one', async () => {
      await opened.store.signingKeys.insert(newKey('k1', T0));
      const nodes = [opened.store, ...seconds];
      // Every pooled connection open first, so that the decisions really overlap.
      await Promise.all(nodes.map((node) => node.signingKeys.list()));
      const candidates = nodes.map((_, i) => T0 + (i + 1) * 60 * MINUTE);
      const answers = await Promise.all(nodes.map((node, i) => node.signingKeys.update('k1', { retiredAt: candidates[i] ?? 0 })));
      const retiredAt = answers[0]?.retiredAt;
      expect(candidates).toContain(retiredAt);
      expect(answers.map((answer) => answer?.retiredAt)).toEqual(nodes.map(() => retiredAt));
      expect(await opened.store.signingKeys.list()).toEqual([newKey('k1', T0, { retiredAt })]);
    });
  });
});
