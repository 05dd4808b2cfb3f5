// Store contract: second factors — TOTP authenticators (TotpRepository) and recovery codes (RecoveryCodeRepository).
// Shared engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewTotpCredential } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

/** RFC 6238 time steps around T0 (30 s each). */
const STEP = Math.floor(T0 / 30_000);

function newTotp(userId: string, overrides: Partial<NewTotpCredential> = {}): NewTotpCredential {
  return { userId, sealedSecret: `sealed-${userId}`, createdAt: T0, ...overrides };
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

  describe('TOTP authenticators (RFC 6238)', () => {
    it('starts an enrolment as a pending authenticator with no step used', async () => {
      expect(await store.totp.begin(newTotp('u1'))).toBe(true);
      expect(await store.totp.find('u1')).toEqual({ userId: 'u1', sealedSecret: 'sealed-u1', confirmedAt: null, lastUsedStep: -1, createdAt: T0 });
      expect(await store.totp.find('u2')).toBeNull();
    });

    it('replaces a pending enrolment with a new one', async () => {
      await store.totp.begin(newTotp('u1'));
      expect(await store.totp.begin(newTotp('u1', { sealedSecret: 'second', createdAt: T0 + MINUTE }))).toBe(true);
      expect(await store.totp.find('u1')).toEqual({ userId: 'u1', sealedSecret: 'second', confirmedAt: null, lastUsedStep: -1, createdAt: T0 + MINUTE });
    });

    it('confirms a pending authenticator once, recording the step of the code that confirmed it', async () => {
      await store.totp.begin(newTotp('u1'));
      expect(await store.totp.confirm('u1', STEP, T0 + MINUTE)).toBe(true);
      expect(await store.totp.find('u1')).toEqual({ userId: 'u1', sealedSecret: 'sealed-u1', confirmedAt: T0 + MINUTE, lastUsedStep: STEP, createdAt: T0 });
      expect(await store.totp.confirm('u1', STEP + 1, T0 + 2 * MINUTE)).toBe(false);
      expect(await store.totp.find('u1')).toMatchObject({ confirmedAt: T0 + MINUTE, lastUsedStep: STEP });
    });

    it('confirms nothing for a person with no enrolment', async () => {
      expect(await store.totp.confirm('u1', STEP, T0)).toBe(false);
      expect(await store.totp.find('u1')).toBeNull();
    });

    it('refuses a new enrolment while a confirmed authenticator exists, and writes nothing', async () => {
      await store.totp.begin(newTotp('u1'));
      await store.totp.confirm('u1', STEP, T0 + 1);
      expect(await store.totp.begin(newTotp('u1', { sealedSecret: 'attacker', createdAt: T0 + 2 }))).toBe(false);
      expect(await store.totp.find('u1')).toEqual({ userId: 'u1', sealedSecret: 'sealed-u1', confirmedAt: T0 + 1, lastUsedStep: STEP, createdAt: T0 });
    });

    it('accepts each later time step once: the same step twice, or a lower one, is refused (RFC 6238 §5.2)', async () => {
      await store.totp.begin(newTotp('u1'));
      await store.totp.confirm('u1', STEP, T0);
      // The code that confirmed the authenticator does not sign anyone in again.
      expect(await store.totp.useStep('u1', STEP)).toBe(false);
      expect(await store.totp.useStep('u1', STEP + 1)).toBe(true);
      expect(await store.totp.useStep('u1', STEP + 1)).toBe(false);
      expect(await store.totp.useStep('u1', STEP)).toBe(false);
      expect(await store.totp.useStep('u1', STEP + 3)).toBe(true);
      expect(await store.totp.useStep('u1', STEP + 2)).toBe(false);
      expect(await store.totp.find('u1')).toMatchObject({ lastUsedStep: STEP + 3 });
    });

    it('accepts no step for a pending authenticator or a person without one', async () => {
      await store.totp.begin(newTotp('u1'));
      expect(await store.totp.useStep('u1', STEP)).toBe(false);
      expect(await store.totp.find('u1')).toMatchObject({ lastUsedStep: -1 });
      expect(await store.totp.useStep('u2', STEP)).toBe(false);
      expect(await store.totp.useStep('nobody', STEP)).toBe(false);
    });

    it('lets exactly one of ten concurrent uses of the same code win', async () => {
      await store.totp.begin(newTotp('u1'));
      await store.totp.confirm('u1', STEP, T0);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.totp.useStep('u1', STEP + 1)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.totp.find('u1')).toMatchObject({ lastUsedStep: STEP + 1 });
    });

    it('removes an authenticator, confirmed or not, once, and lets the person enrol again after', async () => {
      await store.totp.begin(newTotp('u1'));
      await store.totp.confirm('u1', STEP, T0);
      await store.totp.begin(newTotp('u2'));
      expect(await store.totp.remove('u1')).toBe(true);
      expect(await store.totp.find('u1')).toBeNull();
      expect(await store.totp.remove('u1')).toBe(false);
      expect(await store.totp.remove('u2')).toBe(true);
      expect(await store.totp.begin(newTotp('u1', { sealedSecret: 'new' }))).toBe(true);
      expect(await store.totp.find('u1')).toMatchObject({ sealedSecret: 'new', confirmedAt: null, lastUsedStep: -1 });
    });

    it('refuses an enrolment for a person who does not exist', async () => {
      await expect(store.totp.begin(newTotp('nobody'))).rejects.toThrow();
      expect(await store.totp.find('nobody')).toBeNull();
    });

    it("deletes a person's authenticator with the person, and no one else's", async () => {
      await store.totp.begin(newTotp('u1'));
      await store.totp.confirm('u1', STEP, T0);
      await store.totp.begin(newTotp('u2'));
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.totp.find('u1')).toBeNull();
      expect(await store.totp.find('u2')).not.toBeNull();
    });
  });

  describe('recovery codes', () => {
    it('stores a set of codes and counts the unused ones', async () => {
      expect(await store.recoveryCodes.countUnused('u1')).toBe(0);
      await store.recoveryCodes.replace('u1', ['a', 'b', 'c'], T0);
      expect(await store.recoveryCodes.countUnused('u1')).toBe(3);
      expect(await store.recoveryCodes.countUnused('u2')).toBe(0);
    });

    it('consumes a code once, and only for the person it belongs to', async () => {
      await store.recoveryCodes.replace('u1', ['a', 'b'], T0);
      expect(await store.recoveryCodes.consume('u2', 'a', T0 + 1)).toBe(false);
      expect(await store.recoveryCodes.consume('u1', 'a', T0 + 1)).toBe(true);
      expect(await store.recoveryCodes.consume('u1', 'a', T0 + 2)).toBe(false);
      expect(await store.recoveryCodes.consume('u1', 'unknown', T0 + 2)).toBe(false);
      expect(await store.recoveryCodes.countUnused('u1')).toBe(1);
    });

    it('voids the whole old set when a new one replaces it, used codes included', async () => {
      await store.recoveryCodes.replace('u1', ['old-1', 'old-2', 'kept-name'], T0);
      await store.recoveryCodes.consume('u1', 'old-1', T0 + 1);
      await store.recoveryCodes.replace('u1', ['new-1', 'new-2', 'kept-name'], T0 + 2);
      expect(await store.recoveryCodes.countUnused('u1')).toBe(3);
      expect(await store.recoveryCodes.consume('u1', 'old-2', T0 + 3)).toBe(false);
      expect(await store.recoveryCodes.consume('u1', 'new-1', T0 + 3)).toBe(true);
      // A hash that happens to be in both sets is a new, unused code.
      expect(await store.recoveryCodes.consume('u1', 'kept-name', T0 + 3)).toBe(true);
      expect(await store.recoveryCodes.removeAll('u1')).toBe(3);
    });

    it("replaces one person's codes and leaves everyone else's", async () => {
      await store.recoveryCodes.replace('u1', ['a'], T0);
      await store.recoveryCodes.replace('u2', ['a', 'b'], T0);
      await store.recoveryCodes.replace('u1', ['c'], T0 + 1);
      expect(await store.recoveryCodes.countUnused('u2')).toBe(2);
      expect(await store.recoveryCodes.consume('u2', 'a', T0 + 2)).toBe(true);
    });

    it('clears every code when replaced by an empty set', async () => {
      await store.recoveryCodes.replace('u1', ['a', 'b'], T0);
      await store.recoveryCodes.replace('u1', [], T0 + 1);
      expect(await store.recoveryCodes.countUnused('u1')).toBe(0);
      expect(await store.recoveryCodes.consume('u1', 'a', T0 + 2)).toBe(false);
    });

    it('lets exactly one of ten concurrent uses of a code win', async () => {
      await store.recoveryCodes.replace('u1', ['a', 'b'], T0);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.recoveryCodes.consume('u1', 'a', T0 + 1 + i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.recoveryCodes.countUnused('u1')).toBe(1);
    });

    it('leaves exactly one set after concurrent replacements', async () => {
      const sets = Array.from({ length: 5 }, (_, i) => [`set${i}-a`, `set${i}-b`]);
      await Promise.all(sets.map((set, i) => store.recoveryCodes.replace('u1', set, T0 + i)));
      expect(await store.recoveryCodes.countUnused('u1')).toBe(2);
    });

    it('removes every code of a person, used or not, and counts them', async () => {
      await store.recoveryCodes.replace('u1', ['a', 'b', 'c'], T0);
      await store.recoveryCodes.replace('u2', ['a'], T0);
      await store.recoveryCodes.consume('u1', 'a', T0 + 1);
      expect(await store.recoveryCodes.removeAll('u1')).toBe(3);
      expect(await store.recoveryCodes.countUnused('u1')).toBe(0);
      expect(await store.recoveryCodes.removeAll('u1')).toBe(0);
      expect(await store.recoveryCodes.countUnused('u2')).toBe(1);
    });

    it('refuses codes for a person who does not exist', async () => {
      await expect(store.recoveryCodes.replace('nobody', ['a'], T0)).rejects.toThrow();
      expect(await store.recoveryCodes.countUnused('nobody')).toBe(0);
    });

    it("deletes a person's codes with the person, and no one else's", async () => {
      await store.recoveryCodes.replace('u1', ['a', 'b'], T0);
      await store.recoveryCodes.replace('u2', ['a'], T0);
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.recoveryCodes.removeAll('u1')).toBe(0);
      expect(await store.recoveryCodes.countUnused('u2')).toBe(1);
    });
  });
});
