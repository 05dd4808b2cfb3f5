// Store contract: authorization codes (AuthorizationCodeRepository). Shared engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0, MINUTE, newCode, seedUserAndClient } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('authorization codes (RFC 6749 §4.1.2 single use)', () => {
    beforeEach(() => seedUserAndClient(store));

    it('consumes a code once and returns it with every field and the consumption time', async () => {
      const code = newCode('c1', 'u1', 'rp', { sessionIdHash: 's1', nonce: 'n-0S6', codeChallenge: 'E9Melhoa2Ow', codeChallengeMethod: 'S256' });
      await store.codes.create(code);
      expect(await store.codes.consume('c1', T0 + 1)).toEqual({ ...code, consumedAt: T0 + 1, replayedAt: null });
    });

    it('keeps the resources the authorization named (RFC 8707), in order, and none as an empty list (issue 22)', async () => {
      const code = newCode('c1', 'u1', 'rp', { resources: ['https://orders.example/api', 'http://127.0.0.1:9000/billing?x=1&y="2"'] });
      await store.codes.create(code);
      await store.codes.create(newCode('c2', 'u1', 'rp'));
      expect(await store.codes.find('c1')).toMatchObject({ resources: code.resources });
      expect(await store.codes.consume('c1', T0 + 1)).toEqual({ ...code, consumedAt: T0 + 1, replayedAt: null });
      expect(await store.codes.consume('c2', T0 + 1)).toMatchObject({ resources: [] });
    });

    it('answers null to a second consumption of the same code', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      expect(await store.codes.consume('c1', T0 + 1)).not.toBeNull();
      expect(await store.codes.consume('c1', T0 + 2)).toBeNull();
    });

    it('answers null for an expired code, from its expiry instant on, and leaves it unused', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp', { expiresAt: T0 + MINUTE }));
      expect(await store.codes.consume('c1', T0 + MINUTE)).toBeNull();
      expect((await store.codes.find('c1'))?.consumedAt).toBeNull();
    });

    it('answers null for an unknown code, and leaves the others unused', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      expect(await store.codes.consume('nobody', T0)).toBeNull();
      expect(await store.codes.find('nobody')).toBeNull();
      expect((await store.codes.find('c1'))?.consumedAt).toBeNull();
    });

    it('lets exactly one of twenty concurrent redeemers win', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.codes.consume('c1', T0 + 1 + i)));
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await store.codes.find('c1'))?.consumedAt).toBe(winners[0]?.consumedAt);
    });

    it('finds a code whatever its state, so a replay can be told from garbage', async () => {
      const code = newCode('c1', 'u1', 'rp');
      await store.codes.create(code);
      expect(await store.codes.find('c1')).toEqual({ ...code, consumedAt: null, replayedAt: null });
      await store.codes.consume('c1', T0 + 5);
      expect(await store.codes.find('c1')).toEqual({ ...code, consumedAt: T0 + 5, replayedAt: null });
    });

    it('records the first replay of a code and keeps that time', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      await store.codes.consume('c1', T0 + 1);
      await store.codes.markReplayed('c1', T0 + 2);
      await store.codes.markReplayed('c1', T0 + 3);
      await store.codes.markReplayed('unknown', T0 + 3);
      expect((await store.codes.find('c1'))?.replayedAt).toBe(T0 + 2);
    });

    it('removes only expired codes and counts them', async () => {
      await store.codes.create(newCode('gone-1', 'u1', 'rp', { expiresAt: T0 }));
      await store.codes.create(newCode('gone-2', 'u2', 'rp', { expiresAt: T0 + 1 }));
      await store.codes.create(newCode('gone-at-now', 'u2', 'rp', { expiresAt: T0 + MINUTE }));
      await store.codes.create(newCode('kept', 'u1', 'rp', { expiresAt: T0 + 10 * MINUTE }));
      // Expired from its expiry instant on, as consume sees it.
      expect(await store.codes.deleteExpired(T0 + MINUTE)).toBe(3);
      expect(await store.codes.find('gone-1')).toBeNull();
      expect(await store.codes.find('gone-2')).toBeNull();
      expect(await store.codes.find('gone-at-now')).toBeNull();
      expect(await store.codes.find('kept')).not.toBeNull();
      expect(await store.codes.deleteExpired(T0 + MINUTE)).toBe(0);
    });

    it('marks every unused code of a user used (a disabled account), counts them, and then none redeems', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      await store.codes.create(newCode('c2', 'u1', 'rp', { expiresAt: T0 - 1 }));
      await store.codes.create(newCode('used', 'u1', 'rp'));
      await store.codes.create(newCode('other', 'u2', 'rp'));
      await store.codes.consume('used', T0 + 1);
      expect(await store.codes.revokeForUser('u1', T0 + 2)).toBe(2);
      expect(await store.codes.consume('c1', T0 + 3)).toBeNull();
      expect((await store.codes.find('c1'))?.consumedAt).toBe(T0 + 2);
      expect((await store.codes.find('c2'))?.consumedAt).toBe(T0 + 2);
      // A code used before keeps the time it was used.
      expect((await store.codes.find('used'))?.consumedAt).toBe(T0 + 1);
      expect(await store.codes.consume('other', T0 + 3)).not.toBeNull();
      expect(await store.codes.revokeForUser('u1', T0 + 4)).toBe(0);
    });

    it("marks every unused code minted in one session used (the session ended), counts them, and touches no other session's (issue 19, F5)", async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp', { sessionIdHash: 's1' }));
      await store.codes.create(newCode('c2', 'u1', 'rp', { sessionIdHash: 's1', expiresAt: T0 - 1 }));
      await store.codes.create(newCode('used', 'u1', 'rp', { sessionIdHash: 's1' }));
      await store.codes.create(newCode('other-session', 'u1', 'rp', { sessionIdHash: 's2' }));
      await store.codes.create(newCode('no-session', 'u1', 'rp'));
      await store.codes.consume('used', T0 + 1);
      expect(await store.codes.revokeForSession('s1', T0 + 2)).toBe(2);
      expect(await store.codes.consume('c1', T0 + 3)).toBeNull();
      expect((await store.codes.find('c1'))?.consumedAt).toBe(T0 + 2);
      expect((await store.codes.find('c2'))?.consumedAt).toBe(T0 + 2);
      expect((await store.codes.find('used'))?.consumedAt).toBe(T0 + 1);
      expect(await store.codes.consume('other-session', T0 + 3)).not.toBeNull();
      expect(await store.codes.consume('no-session', T0 + 3)).not.toBeNull();
      expect(await store.codes.revokeForSession('s1', T0 + 4)).toBe(0);
      expect(await store.codes.revokeForSession('nobody', T0 + 4)).toBe(0);
    });
  });
});
