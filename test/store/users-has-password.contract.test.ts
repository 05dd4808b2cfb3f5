// Store contract: whether an account has a password its owner knows (users.has_password, issue 23). An account
// made at a federated sign-in has none (a hash of a random secret); every password change gives it one, in the
// store, so that no way of changing a password can forget; a rehash of the same hash at sign-in is not a change.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('users without a password (has_password)', () => {
    it('creates an account with a password unless told otherwise, and reads it back by every way in', async () => {
      const { hasPassword: _omitted, ...withoutTheField } = newUser('u1', 'one@example.com');
      expect(await store.users.create(withoutTheField, T0)).toMatchObject({ id: 'u1', hasPassword: true });
      expect(await store.users.create(newUser('u2', 'two@example.com', { hasPassword: false }), T0)).toMatchObject({ id: 'u2', hasPassword: false });
      expect(await store.users.findById('u1')).toMatchObject({ hasPassword: true });
      expect(await store.users.findById('u2')).toEqual({ ...newUser('u2', 'two@example.com', { hasPassword: false }), createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.users.findByEmail('TWO@example.com')).toMatchObject({ hasPassword: false });
      expect((await store.users.list({ limit: 10 })).items.map((user) => [user.id, user.hasPassword])).toEqual([
        ['u1', true],
        ['u2', false],
      ]);
      expect((await store.users.list({ limit: 10, search: 'two' })).items.map((user) => [user.id, user.hasPassword])).toEqual([['u2', false]]);
      const group = await store.groups.create({ id: 'g1', name: 'Staff', description: '' }, T0);
      await store.groups.addMember(group.id, 'u2', T0);
      expect((await store.users.list({ limit: 10, inGroup: 'g1' })).items.map((user) => [user.id, user.hasPassword])).toEqual([['u2', false]]);
    });

    it('gives the account a password with every change of the hash, and keeps it through other edits', async () => {
      await store.users.create(newUser('u1', 'one@example.com', { hasPassword: false }), T0);
      expect(await store.users.update('u1', { name: 'Ada', emailVerified: true }, T0 + MINUTE)).toMatchObject({ hasPassword: false });
      expect(await store.users.update('u1', { passwordHash: '$argon2id$chosen' }, T0 + 2 * MINUTE)).toMatchObject({ hasPassword: true, passwordHash: '$argon2id$chosen' });
      expect(await store.users.findById('u1')).toMatchObject({ hasPassword: true });
      expect(await store.users.update('u1', { name: 'Ada L.' }, T0 + 3 * MINUTE)).toMatchObject({ hasPassword: true });
    });

    it('gives the account a password with a conditional change too (a mailed link, an admin), but not when the condition fails', async () => {
      await store.users.create(newUser('u1', 'one@example.com', { hasPassword: false }), T0);
      expect(await store.users.update('u1', { passwordHash: '$argon2id$x' }, T0 + 1, { onlyIfEmail: 'other@example.com' })).toBeNull();
      expect(await store.users.findById('u1')).toMatchObject({ hasPassword: false });
      expect(await store.users.update('u1', { passwordHash: '$argon2id$x' }, T0 + 1, { onlyIfEmail: 'ONE@example.com' })).toMatchObject({ hasPassword: true });
      await store.users.create(newUser('u2', 'two@example.com', { hasPassword: false, isAdmin: true }), T0);
      // An update that may take an admin away runs the guarded way: it sets the password all the same.
      await store.users.create(newUser('u3', 'three@example.com', { isAdmin: true }), T0);
      expect(await store.users.update('u2', { passwordHash: '$argon2id$y', isAdmin: false }, T0 + 2)).toMatchObject({ hasPassword: true, isAdmin: false });
    });

    it('keeps an account without a password without one when its hash is only upgraded (a rehash), and one with a password with it', async () => {
      const hash = newUser('u1', 'one@example.com').passwordHash;
      await store.users.create(newUser('u1', 'one@example.com', { hasPassword: false }), T0);
      await store.users.create(newUser('u2', 'two@example.com'), T0);
      expect(await store.users.update('u1', { passwordHash: '$argon2id$stronger' }, T0 + 1, { rehash: true, onlyIfPasswordHash: hash })).toMatchObject({
        hasPassword: false,
        passwordHash: '$argon2id$stronger',
      });
      expect(await store.users.findById('u1')).toMatchObject({ hasPassword: false });
      expect(await store.users.update('u2', { passwordHash: '$argon2id$stronger2' }, T0 + 1, { rehash: true })).toMatchObject({ hasPassword: true });
    });
  });
});
