// Store contract: an administrator's personal tokens for the management API (AdminTokenRepository, issue 26): kept
// as a hash and found by it only while live (neither revoked nor expired, from the expiry instant on); a revocation is
// one conditional write with one winner, across nodes; a user's tokens go with the user; ended tokens are swept after
// they have been listed a while. Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { ADMIN_TOKENS_KEPT_MS, sweepExpired } from '../../src/store/housekeeping.js';
import type { NewAdminToken } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, newUser, T0, type OpenedStore } from './engines.js';

function newAdminToken(id: string, overrides: Partial<NewAdminToken> = {}): NewAdminToken {
  return {
    id,
    tokenHash: `hash-of-${id}`,
    userId: null,
    scopes: ['manage:users', 'manage:clients'],
    description: null,
    createdBy: 'cli',
    createdAt: T0,
    expiresAt: T0 + 60 * MINUTE,
    ...overrides,
  };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('admin tokens on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
    // The store does not judge who may hold a token (src/manage/admin-tokens.ts does).
    await store.users.create(newUser('u1', 'admin@example.com'), T0);
  });

  afterEach(async () => {
    await opened.destroy();
  });

  it('creates a token and finds it by its hash (never by its id) while live, scopes in a stable order', async () => {
    const token = newAdminToken('t1', { userId: 'u1', scopes: ['manage:keys', 'manage:users'], description: 'deploy script', createdBy: 'u1' });
    const expected = { ...token, scopes: ['manage:users', 'manage:keys'], revokedAt: null, lastUsedAt: null };
    expect(await store.adminTokens.create(token)).toEqual(expected);
    expect(await store.adminTokens.findLive('hash-of-t1', T0)).toEqual(expected);
    expect(await store.adminTokens.findLive('t1', T0)).toBeNull();
    expect(await store.adminTokens.findLive('hash-of-nothing', T0)).toBeNull();
    expect(await store.adminTokens.findById('t1')).toEqual(expected);
    expect(await store.adminTokens.findById('hash-of-t1')).toBeNull();
    expect(await store.adminTokens.list()).toEqual([expected]);
  });

  it('no longer finds a token from its expiry instant on, yet still lists it', async () => {
    await store.adminTokens.create(newAdminToken('t1', { expiresAt: T0 + MINUTE }));
    expect(await store.adminTokens.findLive('hash-of-t1', T0 + MINUTE - 1)).not.toBeNull();
    expect(await store.adminTokens.findLive('hash-of-t1', T0 + MINUTE)).toBeNull();
    expect(await store.adminTokens.revoke('t1', T0 + MINUTE)).toBe(false);
    expect(await store.adminTokens.list()).toMatchObject([{ id: 't1', revokedAt: null }]);
  });

  it('revokes a live token once: of revocations racing across two nodes exactly one wins', async () => {
    await store.adminTokens.create(newAdminToken('t1'));
    const other = await opened.second();
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).adminTokens.revoke('t1', T0 + 1)));
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.close();
    }
    expect(await store.adminTokens.findLive('hash-of-t1', T0 + 1)).toBeNull();
    expect(await store.adminTokens.findById('t1')).toMatchObject({ revokedAt: T0 + 1 });
    expect(await store.adminTokens.revoke('t1', T0 + 2)).toBe(false);
    expect(await store.adminTokens.revoke('nothing', T0 + 2)).toBe(false);
  });

  it("revokes every live token of one user and no one else's", async () => {
    await store.users.create(newUser('u2', 'other@example.com', { isAdmin: true }), T0);
    await store.adminTokens.create(newAdminToken('a', { userId: 'u1' }));
    await store.adminTokens.create(newAdminToken('b', { userId: 'u1' }));
    await store.adminTokens.create(newAdminToken('old', { userId: 'u1', expiresAt: T0 + 1 }));
    await store.adminTokens.create(newAdminToken('c', { userId: 'u2' }));
    await store.adminTokens.create(newAdminToken('operator'));
    expect(await store.adminTokens.revokeForUser('u1', T0 + 5)).toBe(2);
    expect(await store.adminTokens.revokeForUser('u1', T0 + 6)).toBe(0);
    const live = await Promise.all(['a', 'b', 'old', 'c', 'operator'].map((id) => store.adminTokens.findLive(`hash-of-${id}`, T0 + 6)));
    expect(live.map((token) => token?.id ?? null)).toEqual([null, null, null, 'c', 'operator']);
    expect(await store.adminTokens.findById('old')).toMatchObject({ revokedAt: null });
  });

  it('records uses, never moving the time backwards', async () => {
    await store.adminTokens.create(newAdminToken('t1'));
    await store.adminTokens.touch('t1', T0 + 10);
    expect(await store.adminTokens.findById('t1')).toMatchObject({ lastUsedAt: T0 + 10 });
    await store.adminTokens.touch('t1', T0 + 5);
    expect(await store.adminTokens.findById('t1')).toMatchObject({ lastUsedAt: T0 + 10 });
    await store.adminTokens.touch('nothing', T0 + 5);
  });

  it('lists tokens newest first', async () => {
    await store.adminTokens.create(newAdminToken('b', { createdAt: T0 }));
    await store.adminTokens.create(newAdminToken('a', { createdAt: T0 + 1 }));
    await store.adminTokens.create(newAdminToken('c', { createdAt: T0 + 1 }));
    expect((await store.adminTokens.list()).map((token) => token.id)).toEqual(['c', 'a', 'b']);
  });

  it('refuses a second token with the same id or hash, or one for a user who does not exist, writing nothing', async () => {
    await store.adminTokens.create(newAdminToken('t1'));
    await expect(store.adminTokens.create(newAdminToken('t1', { tokenHash: 'other' }))).rejects.toBeInstanceOf(ConflictError);
    await expect(store.adminTokens.create(newAdminToken('t2', { tokenHash: 'hash-of-t1' }))).rejects.toBeInstanceOf(ConflictError);
    await expect(store.adminTokens.create(newAdminToken('t3', { userId: 'ghost' }))).rejects.toThrow();
    expect((await store.adminTokens.list()).map((token) => token.id)).toEqual(['t1']);
  });

  it("deletes a user's tokens with the user", async () => {
    await store.adminTokens.create(newAdminToken('t1', { userId: 'u1' }));
    await store.users.delete('u1');
    expect(await store.adminTokens.list()).toEqual([]);
  });

  it('deletes tokens that ended before a time (expired or revoked), keeping live and recently ended ones; housekeeping keeps them 30 days', async () => {
    await store.adminTokens.create(newAdminToken('expired', { expiresAt: T0 }));
    await store.adminTokens.create(newAdminToken('revoked', { expiresAt: T0 + 100 * MINUTE }));
    await store.adminTokens.revoke('revoked', T0 + MINUTE);
    await store.adminTokens.create(newAdminToken('live', { expiresAt: T0 + 100 * MINUTE }));
    expect(await store.adminTokens.deleteEnded(T0)).toBe(0);
    expect(await store.adminTokens.deleteEnded(T0 + 1)).toBe(1);
    expect((await store.adminTokens.list()).map((token) => token.id).sort()).toEqual(['live', 'revoked']);
    expect(await sweepExpired(store, T0 + MINUTE + ADMIN_TOKENS_KEPT_MS)).toBe(0);
    expect(await sweepExpired(store, T0 + MINUTE + ADMIN_TOKENS_KEPT_MS + 1)).toBe(1);
    expect((await store.adminTokens.list()).map((token) => token.id)).toEqual(['live']);
  });
});
