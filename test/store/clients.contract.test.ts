// Store contract: clients (ClientRepository). Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { CLIENT_DEFAULTS, engines, freshStorePerTest, T0, MINUTE, newUser, newClient } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('clients', () => {
    it('creates a client and reads its URI, grant and scope lists back unchanged', async () => {
      const input = newClient('rp', 'Relying party', {
        redirectUris: ['https://rp.example/cb', 'https://rp.example/cb?x=1&y="2"'],
        postLogoutRedirectUris: ['https://rp.example/bye'],
        backchannelLogoutUri: 'https://rp.example/bcl',
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        pkceRequired: false,
      });
      const created = await store.clients.create(input, T0);
      expect(created).toEqual({ ...input, ...CLIENT_DEFAULTS, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.clients.findById('rp')).toEqual(created);
    });

    it('requires no second factor of a client unless asked to, and keeps the demand when asked', async () => {
      expect(await store.clients.create(newClient('rp', 'RP'), T0)).toMatchObject({ requireMfa: false });
      expect(await store.clients.findById('rp')).toMatchObject({ requireMfa: false });
      expect(await store.clients.create(newClient('strict', 'Strict', { requireMfa: true }), T0)).toMatchObject({ requireMfa: true });
      expect(await store.clients.findById('strict')).toMatchObject({ requireMfa: true });
    });

    it('keeps a refresh reuse grace of its own, sets and clears it by a patch (null: the server setting)', async () => {
      expect(await store.clients.create(newClient('rp', 'RP', { refreshReuseGrace: 10 }), T0)).toMatchObject({ refreshReuseGrace: 10 });
      expect(await store.clients.findById('rp')).toMatchObject({ refreshReuseGrace: 10 });
      expect(await store.clients.update('rp', { refreshReuseGrace: 0 }, T0 + 1)).toMatchObject({ refreshReuseGrace: 0, requireMfa: false });
      expect(await store.clients.update('rp', { refreshReuseGrace: null }, T0 + 2)).toMatchObject({ refreshReuseGrace: null });
      expect(await store.clients.findById('rp')).toMatchObject({ refreshReuseGrace: null, updatedAt: T0 + 2 });
    });

    it('turns the second-factor demand on and off by a patch, touching nothing else', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      const before = await store.clients.findById('rp');
      expect(await store.clients.update('rp', { requireMfa: true }, T0 + 1)).toEqual({ ...before, requireMfa: true, updatedAt: T0 + 1, version: 2 });
      expect(await store.clients.findById('rp')).toMatchObject({ requireMfa: true, pkceRequired: true });
      expect(await store.clients.update('rp', { requireMfa: false }, T0 + 2)).toMatchObject({ requireMfa: false });
      expect(await store.clients.findById('rp')).toMatchObject({ requireMfa: false, updatedAt: T0 + 2 });
    });

    it('stores a public client with no secret hash', async () => {
      await store.clients.create(newClient('spa', 'SPA', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }), T0);
      expect(await store.clients.findById('spa')).toMatchObject({ clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none', pkceRequired: true });
    });

    it('refuses a second client with the same id', async () => {
      await store.clients.create(newClient('rp', 'One'), T0);
      await expect(store.clients.create(newClient('rp', 'Two'), T0)).rejects.toBeInstanceOf(ConflictError);
      expect((await store.clients.findById('rp'))?.name).toBe('One');
    });

    it('answers null for an unknown client', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      expect(await store.clients.findById('nobody')).toBeNull();
    });

    it('updates only the patched fields, lists included, and stamps updatedAt', async () => {
      const input = newClient('rp', 'Relying party');
      await store.clients.create(input, T0);
      const updated = await store.clients.update('rp', { name: 'Renamed', redirectUris: ['https://a.example/1', 'https://a.example/2'], pkceRequired: false }, T0 + MINUTE);
      const expected = {
        ...input,
        ...CLIENT_DEFAULTS,
        name: 'Renamed',
        redirectUris: ['https://a.example/1', 'https://a.example/2'],
        pkceRequired: false,
        requireMfa: false,
        refreshReuseGrace: null,
        createdAt: T0,
        updatedAt: T0 + MINUTE,
        version: 2,
      };
      expect(updated).toEqual(expected);
      expect(await store.clients.findById('rp')).toEqual(expected);
    });

    it('turns a confidential client public when the patch clears its secret', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      await store.clients.update('rp', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }, T0 + 1);
      expect(await store.clients.findById('rp')).toMatchObject({ clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' });
    });

    it('answers null when updating a client that does not exist, and changes no other client', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      expect(await store.clients.update('nobody', { name: 'X' }, T0 + 1)).toBeNull();
      expect(await store.clients.findById('rp')).toMatchObject({ name: 'RP', updatedAt: T0 });
    });

    it('deletes a client once and answers false the second time', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      await store.clients.create(newClient('other', 'Other'), T0);
      expect(await store.clients.delete('rp')).toBe(true);
      expect(await store.clients.findById('rp')).toBeNull();
      expect(await store.clients.delete('rp')).toBe(false);
      expect(await store.clients.findById('other')).not.toBeNull();
    });

    it('lists clients by name then id across three pages, even when equal names straddle a page', async () => {
      for (const [id, name] of [
        ['c1', 'Beta'],
        ['c2', 'Alpha'],
        ['c3', 'Alpha'],
        ['c0', 'Alpha'],
        ['c4', 'Gamma'],
      ] as const) {
        await store.clients.create(newClient(id, name), T0);
      }
      const first = await store.clients.list({ limit: 2 });
      expect(first.items.map((c) => c.clientId)).toEqual(['c0', 'c2']);
      const second = await store.clients.list({ after: first.next, limit: 2 });
      expect(second.items.map((c) => c.clientId)).toEqual(['c3', 'c1']);
      expect(second.next).not.toBeNull();
      const third = await store.clients.list({ after: second.next, limit: 2 });
      expect(third.items.map((c) => c.clientId)).toEqual(['c4']);
      expect(third.items[0]?.scopes).toEqual(['openid', 'email']);
      expect(third.next).toBeNull();
    });

    it('rejects a page cursor that is garbage or has the wrong shape', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      const userCursor = (await store.users.list({ limit: 1 })).next;
      expect(userCursor).not.toBeNull();
      await expect(store.clients.list({ after: 'not-a-cursor', limit: 2 })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.clients.list({ after: userCursor, limit: 2 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('stores a private_key_jwt client with its JWKS inline or its jwks_uri, and no secret (issue 22)', async () => {
      const jwks = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] });
      const machine = newClient('m2m', 'Nightly job', { secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt', redirectUris: [], grantTypes: ['client_credentials'], scopes: [], jwks });
      const created = await store.clients.create(machine, T0);
      expect(created).toEqual({ ...machine, ...CLIENT_DEFAULTS, jwks, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.clients.findById('m2m')).toEqual(created);
      await store.clients.create(newClient('cli', 'CLI', { secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://cli.example/jwks.json' }), T0);
      expect(await store.clients.findById('cli')).toMatchObject({ jwks: null, jwksUri: 'https://cli.example/jwks.json', secretHash: null });
      // The key source changes by a patch, one replacing the other; the rest stays.
      expect(await store.clients.update('cli', { jwks, jwksUri: null }, T0 + 1)).toMatchObject({ jwks, jwksUri: null, name: 'CLI', tokenEndpointAuthMethod: 'private_key_jwt' });
      // Back to a secret: the keys cleared in the same patch.
      expect(await store.clients.update('cli', { tokenEndpointAuthMethod: 'client_secret_basic', secretHash: 'h', jwks: null }, T0 + 2)).toMatchObject({
        jwks: null,
        jwksUri: null,
        secretHash: 'h',
      });
    });

    it('refuses a private_key_jwt client without keys, with both key sources, or with a secret, and writes nothing (the schema’s CHECKs)', async () => {
      const jwks = JSON.stringify({ keys: [] });
      const keyClient = (overrides: Parameters<typeof newClient>[2]) => newClient('m2m', 'M2M', { secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt', ...overrides });
      await expect(store.clients.create(keyClient({}), T0)).rejects.toThrow();
      await expect(store.clients.create(keyClient({ jwks, jwksUri: 'https://m2m.example/jwks' }), T0)).rejects.toThrow();
      await expect(store.clients.create(keyClient({ jwks, secretHash: 'h' }), T0)).rejects.toThrow();
      expect(await store.clients.count()).toBe(0);
      await store.clients.create(keyClient({ jwks }), T0);
      await expect(store.clients.update('m2m', { jwks: null }, T0 + 1)).rejects.toThrow();
      await expect(store.clients.update('m2m', { jwksUri: 'https://m2m.example/jwks' }, T0 + 1)).rejects.toThrow();
      expect(await store.clients.findById('m2m')).toMatchObject({ jwks, jwksUri: null, updatedAt: T0 });
    });

    it('counts every client', async () => {
      expect(await store.clients.count()).toBe(0);
      await store.clients.create(newClient('rp', 'Relying party'), T0);
      await store.clients.create(newClient('spa', 'SPA', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }), T0);
      expect(await store.clients.count()).toBe(2);
      await store.clients.delete('rp');
      expect(await store.clients.count()).toBe(1);
    });
  });
});
