// Store contract: the rules the admin screens rely on (UserRepository.update and delete): the last enabled admin
// cannot be taken away, decided atomically, and a deleted user's id is never given to anyone again (OIDC Core
// §5.7: `sub` never names two people). Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError, LastAdminError } from '../../src/errors.js';
import type { UserPatch } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('users: the last enabled admin', () => {
    const takingAway: [string, UserPatch][] = [
      ['demoting', { isAdmin: false }],
      ['disabling', { disabled: true }],
      ['demoting and renaming', { isAdmin: false, name: 'X' }],
    ];

    it.each(takingAway)('refuses %s the only enabled admin with LastAdminError, and writes nothing', async (_what, patch) => {
      const admin = await store.users.create(newUser('a1', 'admin@example.com', { isAdmin: true, name: 'Admin' }), T0);
      await store.users.create(newUser('u1', 'user@example.com'), T0);
      await store.users.create(newUser('a2', 'disabled-admin@example.com', { isAdmin: true, disabled: true }), T0);
      const failure = await store.users.update('a1', patch, T0 + MINUTE).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LastAdminError);
      expect(failure).toBeInstanceOf(ConflictError);
      expect(await store.users.findById('a1')).toEqual(admin);
    });

    it('refuses deleting the only enabled admin with LastAdminError, and keeps them', async () => {
      const admin = await store.users.create(newUser('a1', 'admin@example.com', { isAdmin: true }), T0);
      await expect(store.users.delete('a1')).rejects.toBeInstanceOf(LastAdminError);
      expect(await store.users.findById('a1')).toEqual(admin);
    });

    it.each(takingAway)('allows %s an admin while another enabled admin exists', async (_what, patch) => {
      await store.users.create(newUser('a1', 'one@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('a2', 'two@example.com', { isAdmin: true }), T0);
      expect(await store.users.update('a1', patch, T0 + MINUTE)).toMatchObject(patch);
      // a2 is now the only one.
      await expect(store.users.update('a2', patch, T0 + MINUTE)).rejects.toBeInstanceOf(LastAdminError);
    });

    it('allows deleting an admin while another enabled admin exists', async () => {
      await store.users.create(newUser('a1', 'one@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('a2', 'two@example.com', { isAdmin: true }), T0);
      expect(await store.users.delete('a1')).toBe(true);
      await expect(store.users.delete('a2')).rejects.toBeInstanceOf(LastAdminError);
    });

    it('lets the only enabled admin change anything else, and be promoted or enabled again', async () => {
      await store.users.create(newUser('a1', 'admin@example.com', { isAdmin: true }), T0);
      expect(await store.users.update('a1', { name: 'Ada', email: 'ada@example.com', isAdmin: true, disabled: false }, T0 + 1)).toMatchObject({ name: 'Ada', isAdmin: true });
    });

    it('lets anyone who is not an enabled admin be disabled, demoted or deleted', async () => {
      await store.users.create(newUser('a1', 'admin@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('a2', 'disabled-admin@example.com', { isAdmin: true, disabled: true }), T0);
      await store.users.create(newUser('u1', 'user@example.com'), T0);
      expect(await store.users.update('a2', { isAdmin: false }, T0 + 1)).toMatchObject({ isAdmin: false });
      expect(await store.users.update('u1', { disabled: true }, T0 + 1)).toMatchObject({ disabled: true });
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.users.delete('a2')).toBe(true);
    });

    it('leaves a store without admins as it was: users are disabled, demoted and deleted freely', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.users.create(newUser('u2', 'two@example.com'), T0);
      expect(await store.users.update('u1', { disabled: true, isAdmin: false }, T0 + 1)).toMatchObject({ disabled: true });
      expect(await store.users.delete('u2')).toBe(true);
      expect(await store.users.delete('u1')).toBe(true);
    });

    it('answers null, not LastAdminError, when demoting a user who does not exist', async () => {
      await store.users.create(newUser('a1', 'admin@example.com', { isAdmin: true }), T0);
      expect(await store.users.update('nobody', { isAdmin: false }, T0 + 1)).toBeNull();
      expect(await store.users.delete('nobody')).toBe(false);
    });

    it('lets exactly one of two concurrent demotions of the last two admins succeed', async () => {
      await store.users.create(newUser('a1', 'one@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('a2', 'two@example.com', { isAdmin: true }), T0);
      const results = await Promise.allSettled([store.users.update('a1', { isAdmin: false }, T0 + 1), store.users.update('a2', { disabled: true }, T0 + 1)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(LastAdminError);
      const left = [await store.users.findById('a1'), await store.users.findById('a2')].filter((user) => user?.isAdmin && !user.disabled);
      expect(left).toHaveLength(1);
    });

    it('lets exactly one of two concurrent deletions of the last two admins succeed', async () => {
      await store.users.create(newUser('a1', 'one@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('a2', 'two@example.com', { isAdmin: true }), T0);
      const results = await Promise.allSettled([store.users.delete('a1'), store.users.delete('a2')]);
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(await store.users.count()).toBe(1);
    });
  });

  describe('users: retired ids', () => {
    it('refuses to create a user with a deleted user’s id, with a ConflictError of its own', async () => {
      await store.users.create(newUser('u1', 'gone@example.com'), T0);
      expect(await store.users.delete('u1')).toBe(true);
      const failure = await store.users.create(newUser('u1', 'new@example.com'), T0 + 1).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConflictError);
      expect(failure).not.toBeInstanceOf(LastAdminError);
      expect((failure as Error).message).toBe('this user id belonged to a deleted user and is never reused');
      expect(await store.users.findById('u1')).toBeNull();
    });

    it('still gives a deleted user’s email to a new user with a new id, and still refuses a taken email as before', async () => {
      await store.users.create(newUser('u1', 'gone@example.com'), T0);
      await store.users.create(newUser('u2', 'kept@example.com'), T0);
      await store.users.delete('u1');
      expect(await store.users.create(newUser('u3', 'gone@example.com'), T0 + 1)).toMatchObject({ id: 'u3' });
      const taken = await store.users.create(newUser('u4', 'KEPT@example.com'), T0 + 1).catch((error: unknown) => error);
      expect(taken).toBeInstanceOf(ConflictError);
      expect((taken as Error).message).toBe('a user with the email KEPT@example.com already exists');
    });
  });
});
