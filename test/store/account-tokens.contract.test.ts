// Store contract: password reset and email verification tokens (AccountTokenRepository), mailed in single-use
// links; and the housekeeping sweep over them and the throttle counters. Shared engines, setup and builders:
// ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { sweepExpired } from '../../src/store/housekeeping.js';
import type { NewAccountToken } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

const HOUR = 60 * MINUTE;

function newAccountToken(tokenHash: string, userId: string, overrides: Partial<NewAccountToken> = {}): NewAccountToken {
  return { tokenHash, purpose: 'password_reset', userId, email: `${userId}@example.com`, createdAt: T0, expiresAt: T0 + HOUR, ...overrides };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  beforeEach(async () => {
    await store.users.create(newUser('u1', 'u1@example.com'), T0);
    await store.users.create(newUser('u2', 'u2@example.com'), T0);
  });

  describe('account tokens (single-use mailed links)', () => {
    it('finds a live token of its purpose with every field, unused', async () => {
      const token = newAccountToken('t1', 'u1', { purpose: 'email_verification', email: 'New.Address@example.com' });
      await store.accountTokens.create(token);
      expect(await store.accountTokens.findLive('t1', 'email_verification', T0 + 1)).toEqual({ ...token, usedAt: null });
      // Finding it does not use it.
      expect(await store.accountTokens.findLive('t1', 'email_verification', T0 + 1)).toEqual({ ...token, usedAt: null });
    });

    it('consumes a token once and returns it with the time it was used; after that it is neither found nor consumed', async () => {
      const token = newAccountToken('t1', 'u1');
      await store.accountTokens.create(token);
      expect(await store.accountTokens.consume('t1', 'password_reset', T0 + 5)).toEqual({ ...token, usedAt: T0 + 5 });
      expect(await store.accountTokens.consume('t1', 'password_reset', T0 + 6)).toBeNull();
      expect(await store.accountTokens.findLive('t1', 'password_reset', T0 + 6)).toBeNull();
    });

    it('lets exactly one of ten concurrent users of a link win', async () => {
      await store.accountTokens.create(newAccountToken('t1', 'u1'));
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.accountTokens.consume('t1', 'password_reset', T0 + 1 + i)));
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ tokenHash: 't1', usedAt: expect.any(Number) as number });
    });

    it('refuses an expired token, from its expiry instant on, and leaves it unused', async () => {
      await store.accountTokens.create(newAccountToken('t1', 'u1', { expiresAt: T0 + HOUR }));
      expect(await store.accountTokens.findLive('t1', 'password_reset', T0 + HOUR)).toBeNull();
      expect(await store.accountTokens.consume('t1', 'password_reset', T0 + HOUR)).toBeNull();
      // Still unused: a moment before its expiry (a clock that went back) it is there to use.
      expect(await store.accountTokens.consume('t1', 'password_reset', T0 + HOUR - 1)).toMatchObject({ usedAt: T0 + HOUR - 1 });
    });

    it('refuses a token presented for another purpose, and leaves it usable for its own', async () => {
      await store.accountTokens.create(newAccountToken('reset', 'u1', { purpose: 'password_reset' }));
      expect(await store.accountTokens.findLive('reset', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.consume('reset', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.consume('reset', 'password_reset', T0 + 1)).toMatchObject({ tokenHash: 'reset', usedAt: T0 + 1 });
    });

    it('answers null for an unknown token', async () => {
      await store.accountTokens.create(newAccountToken('t1', 'u1'));
      expect(await store.accountTokens.findLive('unknown', 'password_reset', T0)).toBeNull();
      expect(await store.accountTokens.consume('unknown', 'password_reset', T0)).toBeNull();
    });

    it('refuses a token for a user who does not exist', async () => {
      await expect(store.accountTokens.create(newAccountToken('t1', 'nobody'))).rejects.toThrow();
      expect(await store.accountTokens.findLive('t1', 'password_reset', T0)).toBeNull();
    });

    it('marks every unused token of one user and one purpose used (a newer link replaces them), counts them, and touches no other', async () => {
      await store.accountTokens.create(newAccountToken('r1', 'u1'));
      await store.accountTokens.create(newAccountToken('r2', 'u1', { createdAt: T0 + 1 }));
      await store.accountTokens.create(newAccountToken('used', 'u1'));
      await store.accountTokens.create(newAccountToken('v1', 'u1', { purpose: 'email_verification' }));
      await store.accountTokens.create(newAccountToken('other-user', 'u2'));
      await store.accountTokens.consume('used', 'password_reset', T0 + 2);
      expect(await store.accountTokens.revokeForUser('u1', 'password_reset', T0 + 3)).toBe(2);
      expect(await store.accountTokens.consume('r1', 'password_reset', T0 + 4)).toBeNull();
      expect(await store.accountTokens.consume('r2', 'password_reset', T0 + 4)).toBeNull();
      expect(await store.accountTokens.findLive('v1', 'email_verification', T0 + 4)).not.toBeNull();
      expect(await store.accountTokens.findLive('other-user', 'password_reset', T0 + 4)).not.toBeNull();
      expect(await store.accountTokens.revokeForUser('u1', 'password_reset', T0 + 5)).toBe(0);
    });

    it('deletes a user\'s tokens with the user', async () => {
      await store.accountTokens.create(newAccountToken('r1', 'u1'));
      await store.accountTokens.create(newAccountToken('v1', 'u1', { purpose: 'email_verification' }));
      await store.accountTokens.create(newAccountToken('kept', 'u2'));
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.accountTokens.findLive('r1', 'password_reset', T0)).toBeNull();
      expect(await store.accountTokens.findLive('v1', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.findLive('kept', 'password_reset', T0)).not.toBeNull();
      // Gone, not merely hidden: nothing is left for the sweep.
      expect(await store.accountTokens.deleteExpired(T0 + 2 * HOUR)).toBe(1);
    });

    it('removes only expired tokens, used or not, from their expiry instant on, and counts them', async () => {
      await store.accountTokens.create(newAccountToken('gone', 'u1', { expiresAt: T0 }));
      await store.accountTokens.create(newAccountToken('gone-used', 'u1', { expiresAt: T0 + 1 }));
      await store.accountTokens.create(newAccountToken('gone-at-now', 'u2', { expiresAt: T0 + MINUTE }));
      await store.accountTokens.create(newAccountToken('kept', 'u2', { expiresAt: T0 + MINUTE + 1 }));
      await store.accountTokens.consume('gone-used', 'password_reset', T0);
      expect(await store.accountTokens.deleteExpired(T0 + MINUTE)).toBe(3);
      expect(await store.accountTokens.findLive('kept', 'password_reset', T0)).not.toBeNull();
      expect(await store.accountTokens.deleteExpired(T0 + MINUTE)).toBe(0);
    });
  });

  describe('housekeeping', () => {
    it('sweeps expired throttle counters and account tokens with the other expired rows, and keeps live ones', async () => {
      const rule = { limit: 5, windowMs: HOUR, block: { kind: 'window' as const }, memoryMs: HOUR };
      await store.throttle.attempt('old', rule, T0 - HOUR);
      await store.throttle.attempt('live', rule, T0);
      await store.accountTokens.create(newAccountToken('old', 'u1', { expiresAt: T0 }));
      await store.accountTokens.create(newAccountToken('live', 'u1', { expiresAt: T0 + 1 }));
      expect(await sweepExpired(store, T0)).toBe(2);
      expect(await store.throttle.peek('live', T0)).not.toBeNull();
      expect(await store.throttle.peek('old', T0 - HOUR)).toBeNull();
      expect(await store.accountTokens.findLive('live', 'password_reset', T0)).not.toBeNull();
      expect(await sweepExpired(store, T0)).toBe(0);
    });
  });
});
