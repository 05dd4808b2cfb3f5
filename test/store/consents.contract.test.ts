// Store contract: what people allowed applications (ConsentRepository, issue 24): one row per person and
// application holding the union of every consent given, kept in the order first granted; gone with the person or
// the application. Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, newClient, newUser, T0, type OpenedStore } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('consents on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
    await store.users.create(newUser('u1', 'one@example.com'), T0);
    await store.users.create(newUser('u2', 'two@example.com'), T0);
    await store.clients.create(newClient('rp', 'Relying party', { thirdParty: true }), T0);
    await store.clients.create(newClient('spa', 'Single page', { thirdParty: true }), T0);
  });

  afterEach(async () => {
    await opened.destroy();
  });

  it('records a first consent whole, and finds it', async () => {
    const granted = await store.consents.grant('u1', 'rp', ['openid', 'email'], T0 + 1);
    const expected = { userId: 'u1', clientId: 'rp', scopes: ['openid', 'email'], grantedAt: T0 + 1, updatedAt: T0 + 1, lastUsedAt: null };
    expect(granted).toEqual(expected);
    expect(await store.consents.find('u1', 'rp')).toEqual(expected);
    expect(await store.consents.find('u1', 'spa')).toBeNull();
    expect(await store.consents.find('u2', 'rp')).toBeNull();
  });

  it('keeps the scopes already allowed in their order and appends the new ones, each once', async () => {
    await store.consents.grant('u1', 'rp', ['openid', 'email', 'email'], T0 + 1);
    expect(await store.consents.grant('u1', 'rp', ['profile', 'openid', 'offline_access', 'profile'], T0 + 2)).toEqual({
      userId: 'u1',
      clientId: 'rp',
      scopes: ['openid', 'email', 'profile', 'offline_access'],
      grantedAt: T0 + 1,
      updatedAt: T0 + 2,
      lastUsedAt: null,
    });
    // A consent asking for nothing new changes only the time it was given.
    expect(await store.consents.grant('u1', 'rp', ['email'], T0 + 3)).toMatchObject({ scopes: ['openid', 'email', 'profile', 'offline_access'], grantedAt: T0 + 1, updatedAt: T0 + 3 });
    expect(await store.consents.find('u1', 'rp')).toMatchObject({ scopes: ['openid', 'email', 'profile', 'offline_access'], updatedAt: T0 + 3 });
  });

  it('keeps scope names exactly (case, punctuation, API scopes)', async () => {
    await store.consents.grant('u1', 'rp', ['openid', 'orders:read', 'Orders:Read', 'a"b', 'ü'], T0);
    expect((await store.consents.grant('u1', 'rp', ['orders:read', 'orders_read'], T0 + 1)).scopes).toEqual(['openid', 'orders:read', 'Orders:Read', 'a"b', 'ü', 'orders_read']);
  });

  it('lets both of two concurrent consents land, across two nodes', async () => {
    const other = await opened.second();
    try {
      const grants = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).consents.grant('u1', 'rp', ['openid', `scope-${i}`], T0 + i));
      await Promise.all(grants);
      const consent = await store.consents.find('u1', 'rp');
      expect(consent?.scopes[0]).toBe('openid');
      expect([...(consent?.scopes ?? [])].sort()).toEqual(['openid', ...Array.from({ length: 8 }, (_, i) => `scope-${i}`)].sort());
    } finally {
      await other.close();
    }
  });

  it('notes when a code was last issued under a consent, and writes nothing without one', async () => {
    await store.consents.grant('u1', 'rp', ['openid'], T0);
    await store.consents.touch('u1', 'rp', T0 + MINUTE);
    expect(await store.consents.find('u1', 'rp')).toMatchObject({ lastUsedAt: T0 + MINUTE, updatedAt: T0, grantedAt: T0 });
    await store.consents.touch('u1', 'spa', T0 + MINUTE);
    expect(await store.consents.find('u1', 'spa')).toBeNull();
    // A later consent keeps the time of use.
    expect(await store.consents.grant('u1', 'rp', ['email'], T0 + 2 * MINUTE)).toMatchObject({ lastUsedAt: T0 + MINUTE });
  });

  it("lists a person's consents, most recently updated first, and no one else's", async () => {
    await store.consents.grant('u1', 'rp', ['openid'], T0);
    await store.consents.grant('u1', 'spa', ['openid'], T0 + 1);
    await store.consents.grant('u2', 'rp', ['openid'], T0 + 2);
    expect((await store.consents.listForUser('u1')).map((consent) => consent.clientId)).toEqual(['spa', 'rp']);
    await store.consents.grant('u1', 'rp', ['email'], T0 + 3);
    expect(await store.consents.listForUser('u1')).toEqual([
      { userId: 'u1', clientId: 'rp', scopes: ['openid', 'email'], grantedAt: T0, updatedAt: T0 + 3, lastUsedAt: null },
      { userId: 'u1', clientId: 'spa', scopes: ['openid'], grantedAt: T0 + 1, updatedAt: T0 + 1, lastUsedAt: null },
    ]);
    expect(await store.consents.listForUser('nobody')).toEqual([]);
  });

  it('revokes a consent once: of two concurrent removals one is told it removed it', async () => {
    await store.consents.grant('u1', 'rp', ['openid'], T0);
    await store.consents.grant('u2', 'rp', ['openid'], T0);
    const other = await opened.second();
    try {
      const results = await Promise.all([store.consents.revoke('u1', 'rp'), other.consents.revoke('u1', 'rp'), store.consents.revoke('u1', 'rp')]);
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.close();
    }
    expect(await store.consents.find('u1', 'rp')).toBeNull();
    expect(await store.consents.find('u2', 'rp')).not.toBeNull();
    expect(await store.consents.revoke('u1', 'rp')).toBe(false);
    // A new consent after a removal starts again.
    expect(await store.consents.grant('u1', 'rp', ['email'], T0 + 5)).toMatchObject({ scopes: ['email'], grantedAt: T0 + 5 });
  });

  it('goes with the person and with the application', async () => {
    await store.consents.grant('u1', 'rp', ['openid'], T0);
    await store.consents.grant('u1', 'spa', ['openid'], T0);
    await store.consents.grant('u2', 'rp', ['openid'], T0);
    await store.consents.grant('u2', 'spa', ['openid'], T0);
    expect(await store.users.delete('u1')).toBe(true);
    expect(await store.consents.listForUser('u1')).toEqual([]);
    expect(await store.clients.delete('rp')).toBe(true);
    expect((await store.consents.listForUser('u2')).map((consent) => consent.clientId)).toEqual(['spa']);
  });

  it('refuses a consent for a person or an application that is not there, writing nothing', async () => {
    await expect(store.consents.grant('nobody', 'rp', ['openid'], T0)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.consents.grant('u1', 'gone', ['openid'], T0)).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.consents.find('nobody', 'rp')).toBeNull();
    expect(await store.consents.listForUser('u1')).toEqual([]);
  });
});
