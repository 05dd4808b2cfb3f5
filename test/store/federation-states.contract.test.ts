// Store contract: federated sign-ins in progress (FederationStateRepository, issue 23): bound to a browser, of one
// kind, used at most once, gone once expired. Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { sweepExpired } from '../../src/store/housekeeping.js';
import type { Store } from '../../src/store/store.js';
import { federationStorePerTest } from '../helpers/federation-fixtures.js';
import { engines, MINUTE, newFederationState, newProvider, T0, type OpenedStore } from './engines.js';

const TTL = 10 * MINUTE;

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  federationStorePerTest(engine, { users: { u1: 'one@example.com', u2: 'two@example.com' }, providers: [newProvider('acme', 'Acme')] }, (fresh) => {
    opened = fresh;
    store = fresh.store;
  });

  describe('federation states', () => {
    it('consumes a live state once, returning it whole with the time it was used', async () => {
      const state = newFederationState('st1');
      await store.federationStates.create(state);
      expect(await store.federationStates.consume('st1', 'login', T0 + MINUTE)).toEqual({ ...state, usedAt: T0 + MINUTE });
      expect(await store.federationStates.consume('st1', 'login', T0 + MINUTE)).toBeNull();
      expect(await store.federationStates.consume('nobody', 'login', T0)).toBeNull();
    });

    it('lets exactly one of concurrent callbacks presenting one state win, across two nodes', async () => {
      await store.federationStates.create(newFederationState('st1'));
      const other = await opened.second();
      try {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).federationStates.consume('st1', 'login', T0 + 1 + i)));
        expect(results.filter((result) => result !== null)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('does not consume a state as the other kind, and leaves it usable as its own', async () => {
      await store.federationStates.create(newFederationState('login-1'));
      await store.federationStates.create(newFederationState('link-1', { kind: 'link', userId: 'u1' }));
      expect(await store.federationStates.consume('login-1', 'link', T0)).toBeNull();
      expect(await store.federationStates.consume('link-1', 'login', T0)).toBeNull();
      expect(await store.federationStates.consume('login-1', 'login', T0)).toMatchObject({ kind: 'login', userId: null });
      expect(await store.federationStates.consume('link-1', 'link', T0)).toMatchObject({ kind: 'link', userId: 'u1' });
    });

    it('does not consume a state from its expiry instant on', async () => {
      await store.federationStates.create(newFederationState('st1', { expiresAt: T0 + TTL }));
      await store.federationStates.create(newFederationState('st2', { expiresAt: T0 + TTL }));
      expect(await store.federationStates.consume('st1', 'login', T0 + TTL)).toBeNull();
      expect(await store.federationStates.consume('st2', 'login', T0 + TTL - 1)).not.toBeNull();
    });

    it('refuses a link state without its account, and a login state bound to one (the table’s CHECK)', async () => {
      await expect(store.federationStates.create(newFederationState('bad-link', { kind: 'link', userId: null }))).rejects.toThrow();
      await expect(store.federationStates.create(newFederationState('bad-login', { kind: 'login', userId: 'u1' }))).rejects.toThrow();
      expect(await store.federationStates.consume('bad-link', 'link', T0)).toBeNull();
      expect(await store.federationStates.consume('bad-login', 'login', T0)).toBeNull();
    });

    it('finds the newest live link state of this browser for this account only, without using it', async () => {
      await store.federationStates.create(newFederationState('older', { kind: 'link', userId: 'u1', createdAt: T0 }));
      await store.federationStates.create(newFederationState('newer', { kind: 'link', userId: 'u1', createdAt: T0 + 1 }));
      await store.federationStates.create(newFederationState('other-browser', { kind: 'link', userId: 'u1', browserHash: 'b2', createdAt: T0 + 2 }));
      await store.federationStates.create(newFederationState('other-user', { kind: 'link', userId: 'u2', createdAt: T0 + 3 }));
      await store.federationStates.create(newFederationState('a-login', { createdAt: T0 + 4 }));

      expect(await store.federationStates.findLiveLink('b1', 'u1', T0 + MINUTE)).toEqual({ ...newFederationState('newer', { kind: 'link', userId: 'u1', createdAt: T0 + 1 }), usedAt: null });
      // Found, not used: finding it twice finds it twice.
      expect((await store.federationStates.findLiveLink('b1', 'u1', T0 + MINUTE))?.idHash).toBe('newer');
      expect((await store.federationStates.findLiveLink('b2', 'u1', T0 + MINUTE))?.idHash).toBe('other-browser');
      expect((await store.federationStates.findLiveLink('b1', 'u2', T0 + MINUTE))?.idHash).toBe('other-user');
      expect(await store.federationStates.findLiveLink('b3', 'u1', T0 + MINUTE)).toBeNull();
      expect(await store.federationStates.findLiveLink('b2', 'u2', T0 + MINUTE)).toBeNull();

      // Once the newest is used, the older one is the live one; once expired, none.
      expect(await store.federationStates.consume('newer', 'link', T0 + MINUTE)).not.toBeNull();
      expect((await store.federationStates.findLiveLink('b1', 'u1', T0 + MINUTE))?.idHash).toBe('older');
      expect(await store.federationStates.findLiveLink('b1', 'u1', T0 + TTL)).toBeNull();
    });

    it('removes a deleted account’s link states with it', async () => {
      await store.federationStates.create(newFederationState('link-1', { kind: 'link', userId: 'u1' }));
      await store.federationStates.create(newFederationState('link-2', { kind: 'link', userId: 'u2' }));
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.federationStates.findLiveLink('b1', 'u1', T0)).toBeNull();
      expect(await store.federationStates.consume('link-1', 'link', T0)).toBeNull();
      expect(await store.federationStates.findLiveLink('b1', 'u2', T0)).not.toBeNull();
    });

    it('removes states from their expiry on, used or not, keeping live ones; housekeeping sweeps them', async () => {
      await store.federationStates.create(newFederationState('expired', { expiresAt: T0 }));
      await store.federationStates.create(newFederationState('used-expired', { kind: 'link', userId: 'u1', expiresAt: T0 }));
      await store.federationStates.create(newFederationState('live', { expiresAt: T0 + MINUTE }));
      expect(await store.federationStates.consume('used-expired', 'link', T0 - 1)).not.toBeNull();
      expect(await store.federationStates.deleteExpired(T0 - 1)).toBe(0);
      expect(await store.federationStates.deleteExpired(T0)).toBe(2);
      expect(await store.federationStates.deleteExpired(T0)).toBe(0);
      expect(await sweepExpired(store, T0 + MINUTE)).toBe(1);
      expect(await store.federationStates.consume('live', 'login', T0)).toBeNull();
    });
  });
});
