// Store contract: APIs (resource servers) and the clients' grants on them (ApiRepository, issue 22). Shared engines,
// setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { ClientApiGrant } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newApi, newClient, newOrdersApi, T0 } from './engines.js';

const ORDERS = newOrdersApi('See your orders', 'Place "orders" & cancel them');
const BILLING = newApi('api-billing', 'Billing', 'http://127.0.0.1:9000/billing');

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('APIs', () => {
    it('creates an API and reads it back whole, scopes in the order given, by id and by its exact identifier', async () => {
      const created = await store.apis.create(ORDERS, T0);
      expect(created).toEqual({ ...ORDERS, builtIn: false, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.apis.findById('api-orders')).toEqual(created);
      expect(await store.apis.findByIdentifier('https://orders.example/api')).toEqual(created);
      // RFC 8707 §2: compared as strings, nothing normalised.
      expect(await store.apis.findByIdentifier('https://orders.example/api/')).toBeNull();
      expect(await store.apis.findByIdentifier('https://Orders.example/api')).toBeNull();
      expect(await store.apis.findById('nope')).toBeNull();
      expect(await store.apis.create(BILLING, T0)).toMatchObject({ tokenLifetime: null, tokenFormat: 'jwt', accepts: 'both' });
    });

    it('refuses a second API with a taken identifier or id (ConflictError) and writes nothing', async () => {
      await store.apis.create(ORDERS, T0);
      const twin = await store.apis.create({ ...BILLING, identifier: ORDERS.identifier }, T0).catch((error: unknown) => error);
      expect(twin).toBeInstanceOf(ConflictError);
      expect((twin as Error).message).toBe('an API with the identifier https://orders.example/api already exists');
      await expect(store.apis.create({ ...BILLING, id: ORDERS.id }, T0)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.apis.count()).toBe(1);
      expect(await store.apis.findById('api-orders')).toMatchObject({ name: 'Orders' });
    });

    it('updates only the patched fields, replaces the scope list whole, and stamps updatedAt', async () => {
      await store.apis.create(ORDERS, T0);
      const updated = await store.apis.update('api-orders', { name: 'Orders v2', scopes: [{ name: 'orders:all', description: '' }], tokenLifetime: null }, T0 + MINUTE);
      expect(updated).toEqual({
        ...ORDERS,
        name: 'Orders v2',
        scopes: [{ name: 'orders:all', description: '' }],
        tokenLifetime: null,
        builtIn: false,
        createdAt: T0,
        updatedAt: T0 + MINUTE,
        version: 2,
      });
      expect(await store.apis.findById('api-orders')).toEqual(updated);
      expect(await store.apis.update('api-orders', { tokenFormat: 'jwt', accepts: 'machines', identifier: 'https://orders.example/v2' }, T0 + 2 * MINUTE)).toMatchObject({
        name: 'Orders v2',
        tokenFormat: 'jwt',
        accepts: 'machines',
        identifier: 'https://orders.example/v2',
      });
      expect(await store.apis.findByIdentifier('https://orders.example/api')).toBeNull();
      expect(await store.apis.update('nope', { name: 'x' }, T0)).toBeNull();
    });

    it('refuses to move an API to a taken identifier (ConflictError) and changes nothing', async () => {
      await store.apis.create(ORDERS, T0);
      await store.apis.create(BILLING, T0);
      await expect(store.apis.update('api-billing', { identifier: ORDERS.identifier, name: 'Renamed' }, T0 + 1)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.apis.findById('api-billing')).toMatchObject({ name: 'Billing', identifier: BILLING.identifier, updatedAt: T0 });
    });

    it('lists APIs by name then id across pages, even when equal names straddle a page, and counts them', async () => {
      for (const [id, name] of [
        ['b', 'Zeta'],
        ['a', 'Alpha'],
        ['d', 'Mid'],
        ['c', 'Mid'],
        ['e', 'mid'],
      ] as const) {
        await store.apis.create(newApi(id, name, `https://${id}.example`), T0);
      }
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.apis.list({ after, limit: 2 });
        seen.push(...page.items.map((api) => api.id));
        after = page.next;
      } while (after);
      // Bytewise, as both engines compare: upper case before lower case.
      expect(seen).toEqual(['a', 'c', 'd', 'b', 'e']);
      expect(await store.apis.count()).toBe(5);
      await expect(store.apis.list({ after: 'garbage', limit: 2 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('deletes an API once, with every grant naming it (foreign key, ON DELETE CASCADE)', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      await store.apis.create(ORDERS, T0);
      await store.apis.create(BILLING, T0);
      await store.apis.setGrants('rp', [
        { apiId: 'api-orders', role: 'request', scopes: null },
        { apiId: 'api-orders', role: 'introspect', scopes: null },
        { apiId: 'api-billing', role: 'request', scopes: null },
      ]);
      expect(await store.apis.delete('api-orders')).toBe(true);
      expect(await store.apis.delete('api-orders')).toBe(false);
      expect((await store.apis.accessOf('rp')).map((grant) => [grant.apiId, grant.role])).toEqual([['api-billing', 'request']]);
      expect(await store.apis.usesOf('api-orders')).toEqual([]);
      // The identifier is free again.
      expect(await store.apis.create({ ...ORDERS, id: 'api-orders-2' }, T0 + 1)).toMatchObject({ id: 'api-orders-2' });
    });
  });

  describe('client grants on APIs', () => {
    beforeEach(async () => {
      await store.clients.create(newClient('rp', 'Web shop'), T0);
      await store.clients.create(newClient('batch', 'Batch jobs'), T0);
      await store.apis.create(ORDERS, T0);
      await store.apis.create(BILLING, T0);
    });

    it("reads a client's grants with their APIs in API name order, a grant's scopes as given (null: all)", async () => {
      await store.apis.setGrants('rp', [
        { apiId: 'api-orders', role: 'request', scopes: ['orders:read'] },
        { apiId: 'api-billing', role: 'request', scopes: null },
        { apiId: 'api-orders', role: 'introspect', scopes: null },
      ]);
      const billing = await store.apis.findById('api-billing');
      const orders = await store.apis.findById('api-orders');
      expect(await store.apis.accessOf('rp')).toEqual([
        { apiId: 'api-billing', role: 'request', scopes: null, api: billing },
        { apiId: 'api-orders', role: 'introspect', scopes: null, api: orders },
        { apiId: 'api-orders', role: 'request', scopes: ['orders:read'], api: orders },
      ]);
      expect(await store.apis.accessOf('batch')).toEqual([]);
      expect(await store.apis.accessOf('nobody')).toEqual([]);
    });

    it('keeps an explicit empty scope list apart from null, and never keeps scopes on an introspect grant', async () => {
      await store.apis.setGrants('rp', [
        { apiId: 'api-orders', role: 'request', scopes: [] },
        { apiId: 'api-billing', role: 'introspect', scopes: ['ignored'] },
      ]);
      expect((await store.apis.accessOf('rp')).map(({ apiId, role, scopes }) => ({ apiId, role, scopes }))).toEqual([
        { apiId: 'api-billing', role: 'introspect', scopes: null },
        { apiId: 'api-orders', role: 'request', scopes: [] },
      ]);
    });

    it('reads the API as it is now: a grant of every scope sees a scope added later', async () => {
      await store.apis.setGrants('rp', [{ apiId: 'api-orders', role: 'request', scopes: null }]);
      await store.apis.update('api-orders', { scopes: [...ORDERS.scopes, { name: 'orders:refund', description: 'Refund' }] }, T0 + 1);
      expect((await store.apis.accessOf('rp'))[0]?.api.scopes.map((scope) => scope.name)).toEqual(['orders:read', 'orders:write', 'orders:refund']);
    });

    it('replaces all of a client’s grants with a new set, and clears them with an empty one', async () => {
      await store.apis.setGrants('rp', [
        { apiId: 'api-orders', role: 'request', scopes: null },
        { apiId: 'api-orders', role: 'introspect', scopes: null },
      ]);
      await store.apis.setGrants('batch', [{ apiId: 'api-orders', role: 'request', scopes: null }]);
      await store.apis.setGrants('rp', [{ apiId: 'api-billing', role: 'request', scopes: ['pay'] }]);
      expect((await store.apis.accessOf('rp')).map(({ apiId, role, scopes }) => ({ apiId, role, scopes }))).toEqual([{ apiId: 'api-billing', role: 'request', scopes: ['pay'] }]);
      // Another client's grants are its own.
      expect(await store.apis.accessOf('batch')).toHaveLength(1);
      await store.apis.setGrants('rp', []);
      expect(await store.apis.accessOf('rp')).toEqual([]);
    });

    it('refuses grants naming an API that is not there (NotFoundError) and writes nothing, the old grants kept', async () => {
      const before: ClientApiGrant[] = [{ apiId: 'api-orders', role: 'request', scopes: ['orders:read'] }];
      await store.apis.setGrants('rp', before);
      const failure = await store.apis
        .setGrants('rp', [
          { apiId: 'api-billing', role: 'request', scopes: null },
          { apiId: 'api-gone', role: 'request', scopes: null },
        ])
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(NotFoundError);
      expect((failure as Error).message).toBe('there is no API with the id api-gone');
      expect((await store.apis.accessOf('rp')).map(({ apiId, role, scopes }) => ({ apiId, role, scopes }))).toEqual(before);
      expect(await store.apis.usesOf('api-billing')).toEqual([]);
    });

    it('refuses grants for a client that is not there (NotFoundError) and writes nothing', async () => {
      await expect(store.apis.setGrants('nobody', [{ apiId: 'api-orders', role: 'request', scopes: null }])).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.apis.usesOf('api-orders')).toEqual([]);
    });

    it('refuses the same API granted twice in one role (ConflictError) and writes nothing', async () => {
      await store.apis.setGrants('rp', [{ apiId: 'api-billing', role: 'request', scopes: null }]);
      await expect(
        store.apis.setGrants('rp', [
          { apiId: 'api-orders', role: 'request', scopes: null },
          { apiId: 'api-orders', role: 'request', scopes: ['orders:read'] },
        ]),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.apis.accessOf('rp')).map((grant) => grant.apiId)).toEqual(['api-billing']);
    });

    it('lists the clients naming an API in client name order, each with its roles', async () => {
      await store.apis.setGrants('rp', [
        { apiId: 'api-orders', role: 'request', scopes: null },
        { apiId: 'api-orders', role: 'introspect', scopes: null },
      ]);
      await store.apis.setGrants('batch', [{ apiId: 'api-orders', role: 'request', scopes: ['orders:read'] }]);
      expect(await store.apis.usesOf('api-orders')).toEqual([
        { clientId: 'batch', name: 'Batch jobs', roles: ['request'] },
        { clientId: 'rp', name: 'Web shop', roles: ['introspect', 'request'] },
      ]);
      expect(await store.apis.usesOf('api-billing')).toEqual([]);
    });

    it('drops a client’s grants with the client (foreign key, ON DELETE CASCADE)', async () => {
      await store.apis.setGrants('rp', [{ apiId: 'api-orders', role: 'request', scopes: null }]);
      await store.apis.setGrants('batch', [{ apiId: 'api-orders', role: 'request', scopes: null }]);
      expect(await store.clients.delete('rp')).toBe(true);
      expect(await store.apis.usesOf('api-orders')).toEqual([{ clientId: 'batch', name: 'Batch jobs', roles: ['request'] }]);
      await store.clients.create(newClient('rp', 'Web shop again'), T0 + 1);
      expect(await store.apis.accessOf('rp')).toEqual([]);
    });

    it('leaves one whole set, never a mixture, when two replacements of the same client run at once', async () => {
      const one: ClientApiGrant[] = [
        { apiId: 'api-orders', role: 'request', scopes: null },
        { apiId: 'api-orders', role: 'introspect', scopes: null },
      ];
      const two: ClientApiGrant[] = [
        { apiId: 'api-billing', role: 'request', scopes: null },
        { apiId: 'api-orders', role: 'request', scopes: ['orders:read'] },
      ];
      for (let round = 0; round < 5; round++) {
        await Promise.all([store.apis.setGrants('rp', one), store.apis.setGrants('rp', two), store.apis.setGrants('rp', one)]);
        const grants = (await store.apis.accessOf('rp')).map(({ apiId, role, scopes }) => ({ apiId, role, scopes }));
        const sorted = (set: ClientApiGrant[]) => [...set].sort((a, b) => `${a.apiId} ${a.role}`.localeCompare(`${b.apiId} ${b.role}`));
        expect([JSON.stringify(sorted(one)), JSON.stringify(sorted(two))]).toContain(JSON.stringify(sorted(grants)));
      }
    });
  });
});
