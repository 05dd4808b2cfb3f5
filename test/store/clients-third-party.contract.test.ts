// Store contract: the issue-24 fields of a client (ClientRepository): first- or third-party, how it was registered,
// the pages it names, its registration access token hash, and the conditional rotation of that hash (RFC 7592
// §2.2: of two updates presenting the same token, one wins). Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { CLIENT_DEFAULTS, engines, MINUTE, newClient, T0, type OpenedStore } from './engines.js';

const REGISTERED = {
  thirdParty: true,
  origin: 'dynamic',
  clientUri: 'https://app.example/',
  policyUri: 'https://app.example/privacy?lang=en&x="1"',
  tosUri: 'https://app.example/terms',
  registrationTokenHash: 'hash-of-rat-1',
} as const;

describe.each(engines.map((engine) => [engine.name, engine] as const))('third-party clients on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
  });

  afterEach(async () => {
    await opened.destroy();
  });

  it('creates a first-party client created by an administrator when NewClient leaves the fields out', async () => {
    const created = await store.clients.create(newClient('rp', 'RP'), T0);
    expect(created).toMatchObject({ thirdParty: false, origin: 'admin', clientUri: null, policyUri: null, tosUri: null, registrationTokenHash: null });
    expect(await store.clients.findById('rp')).toEqual(created);
    expect(created).toMatchObject(CLIENT_DEFAULTS);
  });

  it('keeps a dynamically registered client’s fields as given, read back by findById and list', async () => {
    const input = newClient('dyn', 'Registered', REGISTERED);
    const created = await store.clients.create(input, T0);
    expect(created).toEqual({ ...CLIENT_DEFAULTS, ...input, createdAt: T0, updatedAt: T0, version: 1 });
    expect(await store.clients.findById('dyn')).toEqual(created);
    expect((await store.clients.list({ limit: 10 })).items).toEqual([created]);
  });

  it('patches each field, touching nothing else, and clears the URIs and the hash', async () => {
    await store.clients.create(newClient('dyn', 'Registered', REGISTERED), T0);
    const before = await store.clients.findById('dyn');
    // An administrator adopting the application: first-party.
    expect(await store.clients.update('dyn', { thirdParty: false }, T0 + 1)).toEqual({ ...before, thirdParty: false, updatedAt: T0 + 1, version: 2 });
    expect(await store.clients.update('dyn', { clientUri: null, policyUri: null, tosUri: 'https://app.example/tos2', registrationTokenHash: null }, T0 + 2)).toEqual({
      ...before,
      thirdParty: false,
      clientUri: null,
      policyUri: null,
      tosUri: 'https://app.example/tos2',
      registrationTokenHash: null,
      updatedAt: T0 + 2,
      version: 3,
    });
    expect(await store.clients.update('dyn', { origin: 'admin', thirdParty: true }, T0 + 3)).toMatchObject({ origin: 'admin', thirdParty: true });
    expect(await store.clients.findById('dyn')).toMatchObject({ origin: 'admin', thirdParty: true, tosUri: 'https://app.example/tos2', name: 'Registered', updatedAt: T0 + 3 });
  });

  it('refuses an origin other than admin or dynamic (the CHECK), writing nothing', async () => {
    await expect(store.clients.create(newClient('odd', 'Odd', { origin: 'imported' as 'admin' }), T0)).rejects.toThrow();
    expect(await store.clients.findById('odd')).toBeNull();
  });

  it('rotates the registration token hash only from the expected one, and stamps updatedAt', async () => {
    await store.clients.create(newClient('dyn', 'Registered', REGISTERED), T0);
    expect(await store.clients.rotateRegistrationToken('dyn', 'hash-of-someone-else', 'hash-of-rat-2', T0 + 1)).toBe(false);
    expect(await store.clients.findById('dyn')).toMatchObject({ registrationTokenHash: 'hash-of-rat-1', updatedAt: T0 });
    expect(await store.clients.rotateRegistrationToken('dyn', 'hash-of-rat-1', 'hash-of-rat-2', T0 + MINUTE)).toBe(true);
    expect(await store.clients.findById('dyn')).toMatchObject({ registrationTokenHash: 'hash-of-rat-2', updatedAt: T0 + MINUTE });
    // The old token is spent.
    expect(await store.clients.rotateRegistrationToken('dyn', 'hash-of-rat-1', 'hash-of-rat-3', T0 + 2 * MINUTE)).toBe(false);
    expect(await store.clients.findById('dyn')).toMatchObject({ registrationTokenHash: 'hash-of-rat-2' });
  });

  it('rotates nothing for an unknown client or a client without a registration token', async () => {
    await store.clients.create(newClient('rp', 'Admin made'), T0);
    expect(await store.clients.rotateRegistrationToken('nobody', 'hash-of-rat-1', 'hash-of-rat-2', T0 + 1)).toBe(false);
    expect(await store.clients.rotateRegistrationToken('rp', '', 'hash-of-rat-2', T0 + 1)).toBe(false);
    expect(await store.clients.findById('rp')).toMatchObject({ registrationTokenHash: null, updatedAt: T0 });
  });

  it('lets exactly one of many updates presenting the same token rotate it, across two nodes', async () => {
    await store.clients.create(newClient('dyn', 'Registered', REGISTERED), T0);
    const other = await opened.second();
    let results: boolean[];
    try {
      results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).clients.rotateRegistrationToken('dyn', 'hash-of-rat-1', `hash-of-next-${i}`, T0 + 1 + i)));
    } finally {
      await other.close();
    }
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.clients.findById('dyn')).toMatchObject({ registrationTokenHash: `hash-of-next-${winner}`, updatedAt: T0 + 1 + winner });
  });
});
