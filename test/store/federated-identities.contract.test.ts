// Store contract: upstream identities linked to accounts (FederatedIdentityRepository, issue 23): one account per
// upstream identity, one identity per provider and account, decided by the database when links race. Shared
// engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import type { NewFederatedIdentity } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { federationStorePerTest } from '../helpers/federation-fixtures.js';
import { engines, MINUTE, newProvider, T0, type OpenedStore } from './engines.js';

function identity(providerSlug: string, subject: string, userId: string, overrides: Partial<NewFederatedIdentity> = {}): NewFederatedIdentity {
  return { providerSlug, subject, userId, email: `${subject}@upstream.example`, createdAt: T0, ...overrides };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  federationStorePerTest(
    engine,
    { users: { u1: 'one@example.com', u2: 'two@example.com', u3: 'three@example.com' }, providers: [newProvider('acme', 'Acme'), newProvider('github', 'GitHub', { kind: 'oauth2' })] },
    (fresh) => {
      opened = fresh;
      store = fresh.store;
    },
  );

  describe('federated identities', () => {
    it('links an upstream identity and finds it by provider and subject, and by account and provider', async () => {
      const linked = await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1'));
      const expected = { ...identity('acme', 'sub-1', 'u1'), lastUsedAt: null };
      expect(linked).toEqual(expected);
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toEqual(expected);
      expect(await store.federatedIdentities.findForUser('u1', 'acme')).toEqual(expected);
      expect(await store.federatedIdentities.find('acme', 'SUB-1')).toBeNull();
      expect(await store.federatedIdentities.find('github', 'sub-1')).toBeNull();
      expect(await store.federatedIdentities.findForUser('u1', 'github')).toBeNull();
      expect(await store.federatedIdentities.findForUser('u2', 'acme')).toBeNull();
    });

    it('refuses an upstream identity linked already, to anyone, with ConflictError, writing nothing', async () => {
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1'));
      await expect(store.federatedIdentities.link(identity('acme', 'sub-1', 'u2'))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.federatedIdentities.link(identity('acme', 'sub-1', 'u1', { email: 'other@upstream.example' }))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.federatedIdentities.findForUser('u2', 'acme')).toBeNull();
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toMatchObject({ userId: 'u1', email: 'sub-1@upstream.example' });
    });

    it('refuses a second identity of the same provider for one account with ConflictError, writing nothing', async () => {
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1'));
      await expect(store.federatedIdentities.link(identity('acme', 'sub-2', 'u1'))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.federatedIdentities.find('acme', 'sub-2')).toBeNull();
      expect(await store.federatedIdentities.listForUser('u1')).toHaveLength(1);
    });

    it('lets one account hold an identity of each provider, and one subject exist at two providers for two people', async () => {
      await store.federatedIdentities.link(identity('acme', '42', 'u1'));
      await store.federatedIdentities.link(identity('github', '42', 'u2'));
      await store.federatedIdentities.link(identity('github', 'octo', 'u1'));
      expect(await store.federatedIdentities.find('acme', '42')).toMatchObject({ userId: 'u1' });
      expect(await store.federatedIdentities.find('github', '42')).toMatchObject({ userId: 'u2' });
    });

    it('refuses to link to an account or a provider that is not there (NotFoundError), writing nothing', async () => {
      await expect(store.federatedIdentities.link(identity('acme', 'sub-1', 'nobody'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.federatedIdentities.link(identity('gone', 'sub-1', 'u1'))).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.federatedIdentities.listForUser('u1')).toEqual([]);
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toBeNull();
    });

    it('lets exactly one of concurrent links of one upstream identity win, across two nodes', async () => {
      const other = await opened.second();
      try {
        const attempts = ['u1', 'u2', 'u3', 'u1', 'u2', 'u3'].map((userId, i) => (i % 2 === 0 ? store : other).federatedIdentities.link(identity('acme', 'contested', userId)));
        const results = await Promise.allSettled(attempts);
        const won = results.filter((result) => result.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
        const winner = (won[0] as PromiseFulfilledResult<{ userId: string }>).value.userId;
        expect(await store.federatedIdentities.find('acme', 'contested')).toMatchObject({ userId: winner });
        expect(await store.identityProviders.linkCounts()).toEqual(new Map([['acme', 1]]));
      } finally {
        await other.close();
      }
    });

    it('lets exactly one of concurrent links of one account to a provider win, across two nodes', async () => {
      const other = await opened.second();
      try {
        const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((subject, i) => (i % 2 === 0 ? store : other).federatedIdentities.link(identity('acme', subject, 'u1'))));
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
        expect(await store.federatedIdentities.listForUser('u1')).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('lists an account’s identities in provider slug order, and nobody else’s', async () => {
      await store.federatedIdentities.link(identity('github', 'octo', 'u1', { createdAt: T0 }));
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1', { createdAt: T0 + 1 }));
      await store.federatedIdentities.link(identity('acme', 'sub-2', 'u2'));
      expect(await store.federatedIdentities.listForUser('u1')).toEqual([
        { ...identity('acme', 'sub-1', 'u1', { createdAt: T0 + 1 }), lastUsedAt: null },
        { ...identity('github', 'octo', 'u1'), lastUsedAt: null },
      ]);
      expect(await store.federatedIdentities.listForUser('u3')).toEqual([]);
    });

    it('records a sign-in through the identity: when, and the upstream’s email as seen then (null too)', async () => {
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1'));
      await store.federatedIdentities.link(identity('acme', 'sub-2', 'u2'));
      await store.federatedIdentities.touch('acme', 'sub-1', 'new@upstream.example', T0 + MINUTE);
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toMatchObject({ email: 'new@upstream.example', lastUsedAt: T0 + MINUTE, createdAt: T0 });
      await store.federatedIdentities.touch('acme', 'sub-1', null, T0 + 2 * MINUTE);
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toMatchObject({ email: null, lastUsedAt: T0 + 2 * MINUTE });
      expect(await store.federatedIdentities.find('acme', 'sub-2')).toMatchObject({ email: 'sub-2@upstream.example', lastUsedAt: null });
      // Nothing to touch: no error, nothing written.
      await store.federatedIdentities.touch('acme', 'nobody', 'x@upstream.example', T0);
      expect(await store.federatedIdentities.find('acme', 'nobody')).toBeNull();
    });

    it('unlinks the account’s identity of one provider, answering false when there was none', async () => {
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1'));
      await store.federatedIdentities.link(identity('github', 'octo', 'u1'));
      await store.federatedIdentities.link(identity('acme', 'sub-2', 'u2'));
      expect(await store.federatedIdentities.unlink('u1', 'acme')).toBe(true);
      expect(await store.federatedIdentities.unlink('u1', 'acme')).toBe(false);
      expect(await store.federatedIdentities.unlink('u3', 'acme')).toBe(false);
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toBeNull();
      expect(await store.federatedIdentities.findForUser('u1', 'github')).not.toBeNull();
      expect(await store.federatedIdentities.find('acme', 'sub-2')).not.toBeNull();
      // The upstream identity is free again: it may be linked anew (to the same account or another).
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u3'));
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toMatchObject({ userId: 'u3' });
    });

    it('removes a deleted account’s identities with it, leaving the upstream identity free', async () => {
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u1'));
      await store.federatedIdentities.link(identity('github', 'octo', 'u1'));
      await store.federatedIdentities.link(identity('acme', 'sub-2', 'u2'));
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.federatedIdentities.listForUser('u1')).toEqual([]);
      expect(await store.federatedIdentities.find('acme', 'sub-1')).toBeNull();
      expect(await store.federatedIdentities.find('acme', 'sub-2')).not.toBeNull();
      expect(await store.identityProviders.linkCounts()).toEqual(new Map([['acme', 1]]));
      await store.federatedIdentities.link(identity('acme', 'sub-1', 'u3'));
    });
  });
});
