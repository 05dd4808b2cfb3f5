// Store contract: upstream identity providers and directories (IdentityProviderRepository, issue 23). Shared
// engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newFederationState, newProvider, newUser, T0 } from './engines.js';

/** Settings as an administrator's tool writes them: JSON text the store keeps byte for byte (spacing, order, non-ASCII). */
const LDAP_SETTINGS = '{"url":"ldaps://dir.example:636", "bindDn":"cn=gatehouse,dc=example","userFilter":"(mail={email})","note":"Zürich ✓"}';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('identity providers', () => {
    beforeEach(async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.users.create(newUser('u2', 'two@example.com'), T0);
    });

    it('stores a provider with every field, booleans both ways, and reads it back whole', async () => {
      const everyFieldOn = newProvider('acme', 'Acme Workspace', {
        buttonLabel: 'Sign in with Acme',
        iconUrl: 'https://acme.example/icon.png',
        jit: true,
        allowedDomains: ['acme.example', 'acme.test'],
        trustEmail: true,
        trustMfa: true,
        groupsMode: 'replace',
      });
      const everyFieldOff = newProvider('corp-dir', 'Corporate directory', { kind: 'ldap', enabled: false, settings: LDAP_SETTINGS, secret: null, groupsMode: 'merge' });
      const created = await store.identityProviders.create(everyFieldOn, T0);
      expect(created).toEqual({ ...everyFieldOn, createdAt: T0, updatedAt: T0 });
      await store.identityProviders.create(everyFieldOff, T0 + 1);
      expect(await store.identityProviders.findBySlug('acme')).toEqual(created);
      expect(await store.identityProviders.findBySlug('corp-dir')).toEqual({ ...everyFieldOff, createdAt: T0 + 1, updatedAt: T0 + 1 });
      expect((await store.identityProviders.findBySlug('corp-dir'))?.settings).toBe(LDAP_SETTINGS);
      expect(await store.identityProviders.findBySlug('nobody')).toBeNull();
    });

    it('refuses a taken slug with ConflictError and leaves the first provider as it was', async () => {
      await store.identityProviders.create(newProvider('acme', 'Acme'), T0);
      await expect(store.identityProviders.create(newProvider('acme', 'Other', { kind: 'oauth2', secret: 'other' }), T0 + 1)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.identityProviders.findBySlug('acme')).toEqual({ ...newProvider('acme', 'Acme'), createdAt: T0, updatedAt: T0 });
      expect(await store.identityProviders.list()).toHaveLength(1);
    });

    it('lists every provider in name order (bytewise, as both engines compare), then slug', async () => {
      await store.identityProviders.create(newProvider('b-two', 'Beta'), T0);
      await store.identityProviders.create(newProvider('zeta', 'Zeta'), T0);
      await store.identityProviders.create(newProvider('b-one', 'Beta'), T0);
      await store.identityProviders.create(newProvider('lower', 'alpha'), T0);
      expect((await store.identityProviders.list()).map((provider) => provider.slug)).toEqual(['b-one', 'b-two', 'zeta', 'lower']);
      expect((await store.identityProviders.list())[0]).toEqual(await store.identityProviders.findBySlug('b-one'));
    });

    it('updates only the patched fields, moves updated_at, and answers null for an unknown slug', async () => {
      await store.identityProviders.create(newProvider('acme', 'Acme', { allowedDomains: ['acme.example'], buttonLabel: 'Old label' }), T0);
      const updated = await store.identityProviders.update(
        'acme',
        { name: 'Acme Google', buttonLabel: null, enabled: false, jit: true, allowedDomains: ['acme.test'], trustEmail: true, trustMfa: true, groupsMode: 'merge', secret: null },
        T0 + MINUTE,
      );
      const expected = {
        ...newProvider('acme', 'Acme Google'),
        enabled: false,
        jit: true,
        allowedDomains: ['acme.test'],
        trustEmail: true,
        trustMfa: true,
        groupsMode: 'merge',
        secret: null,
        createdAt: T0,
        updatedAt: T0 + MINUTE,
      };
      expect(updated).toEqual(expected);
      expect(await store.identityProviders.findBySlug('acme')).toEqual(expected);
      // Another edit of other fields keeps these.
      await store.identityProviders.update('acme', { settings: LDAP_SETTINGS, iconUrl: 'http://127.0.0.1/icon.png', secret: 'sealed-new' }, T0 + 2 * MINUTE);
      expect(await store.identityProviders.findBySlug('acme')).toEqual({
        ...expected,
        settings: LDAP_SETTINGS,
        iconUrl: 'http://127.0.0.1/icon.png',
        secret: 'sealed-new',
        updatedAt: T0 + 2 * MINUTE,
      });
      expect(await store.identityProviders.update('nobody', { name: 'X' }, T0)).toBeNull();
    });

    it('counts the accounts linked to each provider, leaving out providers with none', async () => {
      await store.identityProviders.create(newProvider('acme', 'Acme'), T0);
      await store.identityProviders.create(newProvider('github', 'GitHub', { kind: 'oauth2' }), T0);
      await store.identityProviders.create(newProvider('unused', 'Unused'), T0);
      expect(await store.identityProviders.linkCounts()).toEqual(new Map());
      await store.federatedIdentities.link({ providerSlug: 'acme', subject: 's1', userId: 'u1', email: null, createdAt: T0 });
      await store.federatedIdentities.link({ providerSlug: 'acme', subject: 's2', userId: 'u2', email: null, createdAt: T0 });
      await store.federatedIdentities.link({ providerSlug: 'github', subject: '42', userId: 'u1', email: null, createdAt: T0 });
      expect(await store.identityProviders.linkCounts()).toEqual(
        new Map([
          ['acme', 2],
          ['github', 1],
        ]),
      );
    });

    it('deletes a provider with its linked identities and its sign-ins in progress, leaving other providers’ and the accounts', async () => {
      await store.identityProviders.create(newProvider('acme', 'Acme'), T0);
      await store.identityProviders.create(newProvider('github', 'GitHub', { kind: 'oauth2' }), T0);
      await store.federatedIdentities.link({ providerSlug: 'acme', subject: 's1', userId: 'u1', email: 'one@acme.example', createdAt: T0 });
      await store.federatedIdentities.link({ providerSlug: 'github', subject: '42', userId: 'u1', email: null, createdAt: T0 });
      await store.federationStates.create(newFederationState('st-acme', { kind: 'link', userId: 'u1' }));
      await store.federationStates.create(newFederationState('st-github', { providerSlug: 'github' }));

      expect(await store.identityProviders.delete('acme')).toBe(true);
      expect(await store.identityProviders.delete('acme')).toBe(false);
      expect(await store.identityProviders.findBySlug('acme')).toBeNull();
      expect(await store.federatedIdentities.find('acme', 's1')).toBeNull();
      expect(await store.federationStates.findLiveLink('b1', 'u1', T0)).toBeNull();
      expect(await store.federationStates.consume('st-acme', 'link', T0)).toBeNull();
      expect((await store.federatedIdentities.listForUser('u1')).map((identity) => identity.providerSlug)).toEqual(['github']);
      expect(await store.federationStates.consume('st-github', 'login', T0)).not.toBeNull();
      expect(await store.users.findById('u1')).not.toBeNull();
      expect(await store.identityProviders.linkCounts()).toEqual(new Map([['github', 1]]));
    });
  });
});
