// Store contract: the versions of users, clients, groups and APIs (issue 26, migration 0017), the management API's
// ETag, and the conditional update behind its If-Match (RFC 9110 §13.1.1); and the built-in flag of an API. Shared
// engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { LastAdminError } from '../../src/errors.js';
import type { Store, UpdateOptions } from '../../src/store/store.js';
import { engines, freshStorePerTest, newApi, newClient, newUser, T0 } from './engines.js';

/** One noun's create and update, so that the same rules are checked on the four of them. */
interface Noun {
  name: string;
  create(store: Store): Promise<{ version: number }>;
  update(store: Store, label: string, at: number, options?: UpdateOptions): Promise<{ version: number; label: string } | null>;
  read(store: Store): Promise<{ version: number; label: string } | null>;
  remove(store: Store, options?: UpdateOptions): Promise<boolean>;
}

const NOUNS: Noun[] = [
  {
    name: 'users',
    create: (store) => store.users.create(newUser('u1', 'a@example.com', { name: 'first' }), T0),
    update: async (store, label, at, options) => withLabel(await store.users.update('u1', { name: label }, at, options), (user) => user.name),
    read: async (store) => withLabel(await store.users.findById('u1'), (user) => user.name),
    remove: (store, options) => store.users.delete('u1', options),
  },
  {
    name: 'clients',
    create: (store) => store.clients.create(newClient('rp', 'first'), T0),
    update: async (store, label, at, options) => withLabel(await store.clients.update('rp', { name: label }, at, options), (client) => client.name),
    read: async (store) => withLabel(await store.clients.findById('rp'), (client) => client.name),
    remove: (store, options) => store.clients.delete('rp', options),
  },
  {
    name: 'groups',
    create: (store) => store.groups.create({ id: 'g1', name: 'first', description: '' }, T0),
    update: async (store, label, at, options) => withLabel(await store.groups.update('g1', { name: label }, at, options), (group) => group.name),
    read: async (store) => withLabel(await store.groups.findById('g1'), (group) => group.name),
    remove: (store, options) => store.groups.delete('g1', options),
  },
  {
    name: 'apis',
    create: (store) => store.apis.create(newApi('api-1', 'first', 'https://api.example'), T0),
    update: async (store, label, at, options) => withLabel(await store.apis.update('api-1', { name: label }, at, options), (api) => api.name),
    read: async (store) => withLabel(await store.apis.findById('api-1'), (api) => api.name),
    remove: (store, options) => store.apis.delete('api-1', options),
  },
];

function withLabel<R extends { version: number }>(record: R | null, label: (record: R) => string | null): { version: number; label: string } | null {
  return record === null ? null : { version: record.version, label: label(record) ?? '' };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('versions and conditional updates on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe.each(NOUNS.map((noun) => [noun.name, noun] as const))('%s', (_noun, noun) => {
    it('starts at version 1 and grows by one at every update, conditional or not', async () => {
      expect((await noun.create(store)).version).toBe(1);
      expect(await noun.update(store, 'second', T0 + 1)).toEqual({ version: 2, label: 'second' });
      expect(await noun.update(store, 'third', T0 + 2, { onlyIfVersion: 2 })).toEqual({ version: 3, label: 'third' });
      expect(await noun.read(store)).toEqual({ version: 3, label: 'third' });
    });

    it('writes nothing when the version moved on, and nothing for one that is not there', async () => {
      await noun.create(store);
      await noun.update(store, 'second', T0 + 1);
      expect(await noun.update(store, 'stale', T0 + 2, { onlyIfVersion: 1 })).toBeNull();
      expect(await noun.update(store, 'ahead', T0 + 2, { onlyIfVersion: 3 })).toBeNull();
      expect(await noun.read(store)).toEqual({ version: 2, label: 'second' });
    });

    it('lets exactly one of two updates presenting the same version win', async () => {
      await noun.create(store);
      const results = await Promise.all([noun.update(store, 'left', T0 + 1, { onlyIfVersion: 1 }), noun.update(store, 'right', T0 + 1, { onlyIfVersion: 1 })]);
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      expect(await noun.read(store)).toEqual({ version: 2, label: winners[0]?.label });
    });

    it('deletes only at the version given, when one is given', async () => {
      await noun.create(store);
      await noun.update(store, 'second', T0 + 1);
      expect(await noun.remove(store, { onlyIfVersion: 1 })).toBe(false);
      expect(await noun.read(store)).toEqual({ version: 2, label: 'second' });
      expect(await noun.remove(store, { onlyIfVersion: 2 })).toBe(true);
      expect(await noun.read(store)).toBeNull();
      expect(await noun.remove(store, { onlyIfVersion: 2 })).toBe(false);
    });
  });

  it('refuses a stale version before the last-admin rule: the change is not made, whatever it would have done', async () => {
    await store.users.create(newUser('admin', 'admin@example.com', { isAdmin: true }), T0);
    await store.users.update('admin', { name: 'Ada' }, T0 + 1);
    expect(await store.users.update('admin', { disabled: true }, T0 + 2, { onlyIfVersion: 1 })).toBeNull();
    await expect(store.users.update('admin', { disabled: true }, T0 + 2, { onlyIfVersion: 2 })).rejects.toBeInstanceOf(LastAdminError);
    expect(await store.users.delete('admin', { onlyIfVersion: 1 })).toBe(false);
    await expect(store.users.delete('admin', { onlyIfVersion: 2 })).rejects.toBeInstanceOf(LastAdminError);
    expect(await store.users.findById('admin')).toMatchObject({ disabled: false, version: 2 });
  });

  it('keeps the other conditions: a matching version with another address writes nothing', async () => {
    await store.users.create(newUser('u1', 'a@example.com'), T0);
    expect(await store.users.update('u1', { emailVerified: true }, T0 + 1, { onlyIfVersion: 1, onlyIfEmail: 'b@example.com' })).toBeNull();
    expect(await store.users.update('u1', { emailVerified: true }, T0 + 1, { onlyIfVersion: 1, onlyIfEmail: 'A@example.com' })).toMatchObject({ emailVerified: true, version: 2 });
  });

  it('counts a rotated registration access token as a change of the client, but not its grants nor its group rules', async () => {
    await store.clients.create(newClient('dyn', 'Registered', { origin: 'dynamic', registrationTokenHash: 'rat-1' }), T0);
    await store.apis.create(newApi('api-1', 'Orders', 'https://orders.example'), T0);
    await store.apis.setGrants('dyn', [{ apiId: 'api-1', role: 'request', scopes: null }]);
    expect(await store.clients.findById('dyn')).toMatchObject({ version: 1 });
    expect(await store.apis.findById('api-1')).toMatchObject({ version: 1 });
    expect(await store.clients.rotateRegistrationToken('dyn', 'rat-1', 'rat-2', T0 + 1)).toBe(true);
    expect(await store.clients.findById('dyn')).toMatchObject({ version: 2 });
  });

  it('leaves a group’s version alone when its members change: membership is a resource of its own', async () => {
    await store.users.create(newUser('u1', 'a@example.com'), T0);
    await store.groups.create({ id: 'g1', name: 'staff', description: '' }, T0);
    await store.groups.addMember('g1', 'u1', T0 + 1);
    await store.groups.removeMember('g1', 'u1');
    expect(await store.groups.findById('g1')).toMatchObject({ version: 1 });
    expect(await store.users.findById('u1')).toMatchObject({ version: 1 });
  });

  it('stores whether an API is built in (false unless said), kept through updates and read by every look-up', async () => {
    const builtIn = await store.apis.create(newApi('api-manage', 'Gatehouse management API', 'https://idp.example/api/v1', { builtIn: true }), T0);
    const ordinary = await store.apis.create(newApi('api-orders', 'Orders', 'https://orders.example'), T0);
    expect([builtIn.builtIn, ordinary.builtIn]).toEqual([true, false]);
    expect(await store.apis.update('api-manage', { name: 'Management' }, T0 + 1)).toMatchObject({ builtIn: true, version: 2 });
    expect(await store.apis.findByIdentifier('https://idp.example/api/v1')).toMatchObject({ builtIn: true });
    expect((await store.apis.list({ limit: 10 })).items.map((api) => [api.id, api.builtIn])).toEqual([
      ['api-manage', true],
      ['api-orders', false],
    ]);
  });
});
