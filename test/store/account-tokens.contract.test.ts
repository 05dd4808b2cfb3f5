// Store contract: password reset, email verification and email change tokens (AccountTokenRepository), mailed in
// single-use links; their end with every new email or password (UserRepository.update); and the housekeeping sweep
// over them and the throttle counters. Shared engines, setup and builders: ./engines.ts.
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
      await store.accountTokens.create(newAccountToken('change', 'u1', { purpose: 'email_change', email: 'new@example.com' }));
      expect(await store.accountTokens.findLive('reset', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.consume('reset', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.consume('reset', 'password_reset', T0 + 1)).toMatchObject({ tokenHash: 'reset', usedAt: T0 + 1 });
      // A change link is not a verification link (issue 19, F1).
      expect(await store.accountTokens.findLive('change', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.consume('change', 'email_verification', T0)).toBeNull();
      expect(await store.accountTokens.consume('change', 'email_change', T0 + 1)).toMatchObject({ purpose: 'email_change', email: 'new@example.com', usedAt: T0 + 1 });
    });

    it('refuses a purpose it does not know', async () => {
      await expect(store.accountTokens.create(newAccountToken('t1', 'u1', { purpose: 'sign_in' as never }))).rejects.toThrow();
    });

    describe('ended by a new email or password (issue 19, F1)', () => {
      async function linksOfEveryKind(userId: string): Promise<void> {
        await store.accountTokens.create(newAccountToken(`${userId}-reset`, userId));
        await store.accountTokens.create(newAccountToken(`${userId}-verify`, userId, { purpose: 'email_verification' }));
        await store.accountTokens.create(newAccountToken(`${userId}-change`, userId, { purpose: 'email_change', email: `${userId}.new@example.com` }));
      }
      const live = async (userId: string) =>
        [
          await store.accountTokens.findLive(`${userId}-reset`, 'password_reset', T0 + 2),
          await store.accountTokens.findLive(`${userId}-verify`, 'email_verification', T0 + 2),
          await store.accountTokens.findLive(`${userId}-change`, 'email_change', T0 + 2),
        ].filter((token) => token !== null).length;

      beforeEach(async () => {
        await linksOfEveryKind('u1');
        await linksOfEveryKind('u2');
      });

      it("marks every unused link of the user used with a new password, and no one else's", async () => {
        expect(await store.users.update('u1', { passwordHash: '$argon2id$new' }, T0 + 1)).toMatchObject({ passwordHash: '$argon2id$new' });
        expect(await live('u1')).toBe(0);
        expect(await live('u2')).toBe(3);
        expect(await store.accountTokens.consume('u1-reset', 'password_reset', T0 + 2)).toBeNull();
      });

      it('marks every unused link of the user used with a new address', async () => {
        expect(await store.users.update('u1', { email: 'u1.moved@example.com' }, T0 + 1)).toMatchObject({ email: 'u1.moved@example.com' });
        expect(await live('u1')).toBe(0);
        expect(await live('u2')).toBe(3);
      });

      it('keeps the links when the same password is only hashed again (rehash at sign-in), ends them with a new address even so', async () => {
        expect(await store.users.update('u1', { passwordHash: '$argon2id$rehashed' }, T0 + 1, { rehash: true })).toMatchObject({ passwordHash: '$argon2id$rehashed' });
        expect(await live('u1')).toBe(3);
        await store.users.update('u1', { email: 'u1.moved@example.com', passwordHash: '$argon2id$again' }, T0 + 1, { rehash: true });
        expect(await live('u1')).toBe(0);
      });

      it('keeps the links through any other change', async () => {
        await store.users.update('u1', { name: 'U One', emailVerified: true, isAdmin: true }, T0 + 1);
        await store.users.update('u2', { isAdmin: true }, T0 + 1);
        await store.users.update('u1', { disabled: true }, T0 + 1);
        expect(await live('u1')).toBe(3);
      });

      it('ends nothing when the change is refused (a taken address) or its condition does not hold', async () => {
        await expect(store.users.update('u1', { email: 'U2@example.com' }, T0 + 1)).rejects.toThrow(/already exists/);
        expect(await store.users.update('u1', { passwordHash: '$argon2id$new' }, T0 + 1, { onlyIfEmail: 'someone.else@example.com' })).toBeNull();
        expect(await live('u1')).toBe(3);
        expect((await store.users.findById('u1'))?.passwordHash).toBe(newUser('u1', 'u1@example.com').passwordHash);
      });
    });

    it('writes a user only while the address is the one given (onlyIfEmail, compared case-insensitively)', async () => {
      expect(await store.users.update('u1', { emailVerified: true }, T0 + 1, { onlyIfEmail: 'u1.old@example.com' })).toBeNull();
      expect((await store.users.findById('u1'))?.emailVerified).toBe(false);
      expect(await store.users.update('u1', { emailVerified: true }, T0 + 1, { onlyIfEmail: ' U1@Example.com ' })).toMatchObject({ emailVerified: true, updatedAt: T0 + 1 });
      expect(await store.users.update('nobody', { emailVerified: true }, T0 + 1, { onlyIfEmail: 'u1@example.com' })).toBeNull();
    });

    it('writes an upgraded hash only while the stored hash is the one verified (onlyIfPasswordHash), keeping the links', async () => {
      const verified = newUser('u1', 'u1@example.com').passwordHash;
      // A password changed since the sign-in verified the old one stays changed.
      await store.users.update('u1', { passwordHash: '$argon2id$changed-meanwhile' }, T0 + 1);
      expect(await store.users.update('u1', { passwordHash: '$argon2id$upgraded' }, T0 + 2, { rehash: true, onlyIfPasswordHash: verified })).toBeNull();
      expect((await store.users.findById('u1'))?.passwordHash).toBe('$argon2id$changed-meanwhile');
      expect(await store.users.update('u1', { passwordHash: '$argon2id$upgraded' }, T0 + 3, { rehash: true, onlyIfPasswordHash: '$argon2id$changed-meanwhile' })).toMatchObject({
        passwordHash: '$argon2id$upgraded',
        updatedAt: T0 + 3,
      });
    });

    it('tells a write whose address condition failed from the last admin refused: null, not LastAdminError', async () => {
      await store.users.update('u1', { isAdmin: true }, T0);
      expect(await store.users.update('u1', { disabled: true }, T0 + 1, { onlyIfEmail: 'elsewhere@example.com' })).toBeNull();
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

    it("deletes a user's tokens with the user", async () => {
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
