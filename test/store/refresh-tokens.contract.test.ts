// Store contract: refresh tokens (RefreshTokenRepository). Shared engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0, MINUTE, newToken, seedUserAndClient } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('refresh tokens (RFC 9700 §4.14.2 rotation)', () => {
    beforeEach(() => seedUserAndClient(store));

    it('finds a token with every field and neither rotated nor revoked', async () => {
      const token = newToken('r1', 'u1', 'rp', { sessionIdHash: 's1' });
      await store.refreshTokens.create(token);
      expect(await store.refreshTokens.find('r1')).toEqual({ ...token, rotatedAt: null, revokedAt: null });
      expect(await store.refreshTokens.find('nobody')).toBeNull();
    });

    it("keeps the grant's resources (RFC 8707) on each token, in order, and none as an empty list (issue 22)", async () => {
      const token = newToken('r1', 'u1', 'rp', { resources: ['https://orders.example/api', 'https://billing.example/'] });
      await store.refreshTokens.create(token);
      await store.refreshTokens.create(newToken('r2', 'u1', 'rp'));
      expect(await store.refreshTokens.find('r1')).toEqual({ ...token, rotatedAt: null, revokedAt: null });
      expect(await store.refreshTokens.rotate('r1', T0 + 1)).toMatchObject({ resources: token.resources });
      expect(await store.refreshTokens.find('r2')).toMatchObject({ resources: [] });
    });

    it('rotates a live token once and answers null the second time', async () => {
      const token = newToken('r1', 'u1', 'rp');
      await store.refreshTokens.create(token);
      expect(await store.refreshTokens.rotate('r1', T0 + 1)).toEqual({ ...token, rotatedAt: T0 + 1, revokedAt: null });
      expect(await store.refreshTokens.rotate('r1', T0 + 2)).toBeNull();
      expect((await store.refreshTokens.find('r1'))?.rotatedAt).toBe(T0 + 1);
    });

    it('keeps the first record of a token recorded twice (a derived successor recorded by its retry first)', async () => {
      const token = newToken('r1', 'u1', 'rp', { createdAt: T0 });
      await store.refreshTokens.create(token);
      await store.refreshTokens.create({ ...token, createdAt: T0 + 5, expiresAt: T0 + 10 });
      await Promise.all([store.refreshTokens.create({ ...token, createdAt: T0 + 6 }), store.refreshTokens.create({ ...token, createdAt: T0 + 7 })]);
      expect(await store.refreshTokens.find('r1')).toEqual({ ...token, rotatedAt: null, revokedAt: null });
    });

    it('lets exactly one of twenty concurrent rotations win', async () => {
      await store.refreshTokens.create(newToken('r1', 'u1', 'rp'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.refreshTokens.rotate('r1', T0 + 1 + i)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('refuses to rotate a revoked, an expired or an unknown token', async () => {
      await store.refreshTokens.create(newToken('revoked', 'u1', 'rp', { grantId: 'g-revoked' }));
      await store.refreshTokens.create(newToken('expired', 'u1', 'rp', { expiresAt: T0 + MINUTE }));
      await store.refreshTokens.revokeGrant('g-revoked', T0 + 1);
      expect(await store.refreshTokens.rotate('revoked', T0 + 2)).toBeNull();
      expect(await store.refreshTokens.rotate('expired', T0 + MINUTE)).toBeNull();
      expect(await store.refreshTokens.rotate('nobody', T0)).toBeNull();
      expect((await store.refreshTokens.find('expired'))?.rotatedAt).toBeNull();
    });

    it('revokes every unrevoked token of a grant, counts them, and keeps earlier revocation times', async () => {
      await store.refreshTokens.create(newToken('a-rotated', 'u1', 'rp', { grantId: 'g-a' }));
      await store.refreshTokens.create(newToken('a-live', 'u1', 'rp', { grantId: 'g-a' }));
      await store.refreshTokens.create(newToken('a-revoked', 'u2', 'rp', { grantId: 'g-a' }));
      await store.refreshTokens.create(newToken('b-live', 'u1', 'rp', { grantId: 'g-b' }));
      await store.refreshTokens.rotate('a-rotated', T0 + 1);
      expect(await store.refreshTokens.revokeForUser('u2', T0 + 2)).toBe(1);
      expect(await store.refreshTokens.revokeGrant('g-a', T0 + 3)).toBe(2);
      expect(await store.refreshTokens.revokeGrant('g-a', T0 + 4)).toBe(0);
      expect((await store.refreshTokens.find('a-revoked'))?.revokedAt).toBe(T0 + 2);
      expect(await store.refreshTokens.find('a-rotated')).toMatchObject({ rotatedAt: T0 + 1, revokedAt: T0 + 3 });
      expect((await store.refreshTokens.find('b-live'))?.revokedAt).toBeNull();
      expect(await store.refreshTokens.rotate('a-live', T0 + 5)).toBeNull();
      expect(await store.refreshTokens.rotate('b-live', T0 + 5)).not.toBeNull();
    });

    it('revokes every unrevoked token of a user across grants, counts them, and spares other users', async () => {
      await store.refreshTokens.create(newToken('u1-a', 'u1', 'rp', { grantId: 'g-1' }));
      await store.refreshTokens.create(newToken('u1-b', 'u1', 'rp', { grantId: 'g-2' }));
      await store.refreshTokens.create(newToken('u1-old', 'u1', 'rp', { grantId: 'g-3' }));
      await store.refreshTokens.create(newToken('u2-a', 'u2', 'rp', { grantId: 'g-4' }));
      expect(await store.refreshTokens.revokeGrant('g-3', T0 + 1)).toBe(1);
      expect(await store.refreshTokens.revokeForUser('u1', T0 + 2)).toBe(2);
      expect(await store.refreshTokens.revokeForUser('u1', T0 + 3)).toBe(0);
      expect((await store.refreshTokens.find('u1-a'))?.revokedAt).toBe(T0 + 2);
      expect((await store.refreshTokens.find('u1-old'))?.revokedAt).toBe(T0 + 1);
      expect((await store.refreshTokens.find('u2-a'))?.revokedAt).toBeNull();
    });
  });
});
