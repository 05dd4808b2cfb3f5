// Store contract: sign-in challenges (SignInChallengeRepository), the steps of a sign-in in progress — a second
// factor owed, a WebAuthn challenge waiting for its answer — and the housekeeping sweep over them. Shared engines,
// setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { sweepExpired } from '../../src/store/housekeeping.js';
import type { NewSignInChallenge } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

function newChallenge(idHash: string, overrides: Partial<NewSignInChallenge> = {}): NewSignInChallenge {
  return { idHash, purpose: 'second_factor', browserHash: `browser-${idHash}`, userId: 'u1', value: 'pwd', createdAt: T0, expiresAt: T0 + 5 * MINUTE, ...overrides };
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

  describe('sign-in challenges', () => {
    it('finds a live challenge of its purpose with every field, unused, and finding it does not use it', async () => {
      const owed = newChallenge('c1');
      const passkey = newChallenge('c2', { purpose: 'passkey_sign_in', userId: null, value: 'q5Vn1D5yVb3lD0Cz' });
      await store.signInChallenges.create(owed);
      await store.signInChallenges.create(passkey);
      expect(await store.signInChallenges.findLive('c1', 'second_factor', T0 + 1)).toEqual({ ...owed, usedAt: null });
      expect(await store.signInChallenges.findLive('c1', 'second_factor', T0 + 1)).toEqual({ ...owed, usedAt: null });
      expect(await store.signInChallenges.findLive('c2', 'passkey_sign_in', T0 + 1)).toEqual({ ...passkey, usedAt: null });
    });

    it('refuses a challenge presented for another purpose, and leaves it usable for its own', async () => {
      await store.signInChallenges.create(newChallenge('c1', { purpose: 'passkey_registration' }));
      expect(await store.signInChallenges.findLive('c1', 'passkey_sign_in', T0)).toBeNull();
      expect(await store.signInChallenges.consume('c1', 'second_factor', T0)).toBeNull();
      expect(await store.signInChallenges.consume('c1', 'passkey_registration', T0 + 1)).toMatchObject({ idHash: 'c1', usedAt: T0 + 1 });
    });

    it('consumes a challenge once and returns it with the time it was used; after that it is neither found nor consumed', async () => {
      const challenge = newChallenge('c1');
      await store.signInChallenges.create(challenge);
      expect(await store.signInChallenges.consume('c1', 'second_factor', T0 + 5)).toEqual({ ...challenge, usedAt: T0 + 5 });
      expect(await store.signInChallenges.consume('c1', 'second_factor', T0 + 6)).toBeNull();
      expect(await store.signInChallenges.findLive('c1', 'second_factor', T0 + 6)).toBeNull();
    });

    it('lets exactly one of ten concurrent answers to a challenge win', async () => {
      await store.signInChallenges.create(newChallenge('c1', { purpose: 'passkey_sign_in', userId: null }));
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.signInChallenges.consume('c1', 'passkey_sign_in', T0 + 1 + i)));
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ idHash: 'c1', usedAt: expect.any(Number) as number });
    });

    it('refuses an expired challenge, from its expiry instant on, and leaves it unused', async () => {
      await store.signInChallenges.create(newChallenge('c1', { expiresAt: T0 + MINUTE }));
      expect(await store.signInChallenges.findLive('c1', 'second_factor', T0 + MINUTE)).toBeNull();
      expect(await store.signInChallenges.consume('c1', 'second_factor', T0 + MINUTE)).toBeNull();
      expect(await store.signInChallenges.findLive('c1', 'second_factor', T0 + MINUTE - 1)).not.toBeNull();
      expect(await store.signInChallenges.consume('c1', 'second_factor', T0 + MINUTE - 1)).toMatchObject({ usedAt: T0 + MINUTE - 1 });
    });

    it('answers null for an unknown challenge', async () => {
      await store.signInChallenges.create(newChallenge('c1'));
      expect(await store.signInChallenges.findLive('unknown', 'second_factor', T0)).toBeNull();
      expect(await store.signInChallenges.consume('unknown', 'second_factor', T0)).toBeNull();
    });

    it('refuses a challenge for a person who does not exist', async () => {
      await expect(store.signInChallenges.create(newChallenge('c1', { userId: 'nobody' }))).rejects.toThrow();
      expect(await store.signInChallenges.findLive('c1', 'second_factor', T0)).toBeNull();
    });

    it("deletes a person's challenges with the person, and keeps others and those of no one", async () => {
      await store.signInChallenges.create(newChallenge('mine'));
      await store.signInChallenges.create(newChallenge('theirs', { userId: 'u2' }));
      await store.signInChallenges.create(newChallenge('anyone', { purpose: 'passkey_sign_in', userId: null }));
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.signInChallenges.findLive('mine', 'second_factor', T0)).toBeNull();
      expect(await store.signInChallenges.findLive('theirs', 'second_factor', T0)).not.toBeNull();
      expect(await store.signInChallenges.findLive('anyone', 'passkey_sign_in', T0)).not.toBeNull();
      // Gone, not merely hidden: only the two left are there for the sweep.
      expect(await store.signInChallenges.deleteExpired(T0 + 60 * MINUTE)).toBe(2);
    });

    it("deletes a person's challenges of one purpose (a new password drops a sign-in owing its second factor), counts them, and keeps the rest (issue 19, F5)", async () => {
      await store.signInChallenges.create(newChallenge('owed'));
      await store.signInChallenges.create(newChallenge('owed-used'));
      await store.signInChallenges.consume('owed-used', 'second_factor', T0);
      await store.signInChallenges.create(newChallenge('registering', { purpose: 'passkey_registration' }));
      await store.signInChallenges.create(newChallenge('theirs', { userId: 'u2' }));
      await store.signInChallenges.create(newChallenge('anyone', { purpose: 'passkey_sign_in', userId: null }));
      expect(await store.signInChallenges.deleteForUser('u1', 'second_factor')).toBe(2);
      expect(await store.signInChallenges.findLive('owed', 'second_factor', T0)).toBeNull();
      expect(await store.signInChallenges.findLive('registering', 'passkey_registration', T0)).not.toBeNull();
      expect(await store.signInChallenges.findLive('theirs', 'second_factor', T0)).not.toBeNull();
      expect(await store.signInChallenges.deleteForUser('u1', 'second_factor')).toBe(0);
      // Without a purpose, every one of the person's goes.
      expect(await store.signInChallenges.deleteForUser('u1')).toBe(1);
      expect(await store.signInChallenges.findLive('registering', 'passkey_registration', T0)).toBeNull();
      expect(await store.signInChallenges.findLive('anyone', 'passkey_sign_in', T0)).not.toBeNull();
      expect(await store.signInChallenges.deleteExpired(T0 + 60 * MINUTE)).toBe(2);
    });

    it('removes only expired challenges, used or not, from their expiry instant on, and counts them', async () => {
      await store.signInChallenges.create(newChallenge('gone', { expiresAt: T0 }));
      await store.signInChallenges.create(newChallenge('gone-used', { expiresAt: T0 + 1 }));
      await store.signInChallenges.create(newChallenge('gone-at-now', { purpose: 'passkey_sign_in', userId: null, expiresAt: T0 + MINUTE }));
      await store.signInChallenges.create(newChallenge('kept', { expiresAt: T0 + MINUTE + 1 }));
      await store.signInChallenges.consume('gone-used', 'second_factor', T0);
      expect(await store.signInChallenges.deleteExpired(T0 + MINUTE)).toBe(3);
      expect(await store.signInChallenges.findLive('kept', 'second_factor', T0)).not.toBeNull();
      expect(await store.signInChallenges.deleteExpired(T0 + MINUTE)).toBe(0);
    });
  });

  describe('housekeeping', () => {
    it('sweeps expired sign-in challenges with the other expired rows, and keeps live ones', async () => {
      await store.signInChallenges.create(newChallenge('old', { expiresAt: T0 }));
      await store.signInChallenges.create(newChallenge('live', { expiresAt: T0 + 1 }));
      expect(await sweepExpired(store, T0)).toBe(1);
      expect(await store.signInChallenges.findLive('live', 'second_factor', T0)).not.toBeNull();
      expect(await sweepExpired(store, T0)).toBe(0);
    });
  });
});
