// Store contract: users (UserRepository). Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0, MINUTE, newUser, newSession, newCode, newToken, seedUserAndClient } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('users', () => {
    it('creates a user and finds it again by id with every field and both timestamps', async () => {
      const input = newUser('u1', 'Alice@Example.com', { name: 'Alice', isAdmin: true, disabled: true, emailVerified: true });
      const created = await store.users.create(input, T0);
      expect(created).toEqual({ ...input, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.users.findById('u1')).toEqual(created);
    });

    it('keeps false flags false and a missing name null', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      expect(await store.users.findById('u1')).toMatchObject({ name: null, isAdmin: false, disabled: false, emailVerified: false });
    });

    it('refuses a second user whose email differs only in case', async () => {
      await store.users.create(newUser('u1', 'Alice@Example.com'), T0);
      await expect(store.users.create(newUser('u2', 'alice@example.COM'), T0)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.users.findById('u2')).toBeNull();
    });

    it('finds a user by email whatever its case, and shows the address as it was entered', async () => {
      await store.users.create(newUser('u1', 'Alice@Example.com'), T0);
      expect((await store.users.findByEmail('ALICE@example.com'))?.id).toBe('u1');
      expect((await store.users.findByEmail('alice@example.com'))?.email).toBe('Alice@Example.com');
    });

    it('answers null for an unknown id or email', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      expect(await store.users.findById('nobody')).toBeNull();
      expect(await store.users.findByEmail('nobody@example.com')).toBeNull();
    });

    it('updates only the patched fields and stamps updatedAt', async () => {
      await store.users.create(newUser('u1', 'a@example.com', { name: 'A' }), T0);
      const updated = await store.users.update('u1', { isAdmin: true, passwordHash: 'new-hash' }, T0 + MINUTE);
      expect(updated).toEqual({ ...newUser('u1', 'a@example.com', { name: 'A', isAdmin: true, passwordHash: 'new-hash' }), createdAt: T0, updatedAt: T0 + MINUTE, version: 2 });
      expect(await store.users.findById('u1')).toEqual(updated);
    });

    it('changes the email and then finds the user only by the new one', async () => {
      await store.users.create(newUser('u1', 'old@example.com'), T0);
      await store.users.update('u1', { email: 'New@Example.com', name: null }, T0 + 1);
      expect((await store.users.findByEmail('new@example.com'))?.email).toBe('New@Example.com');
      expect(await store.users.findByEmail('old@example.com')).toBeNull();
    });

    it('refuses to change an email to one another user has, in any case', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      await expect(store.users.update('u2', { email: 'A@EXAMPLE.com' }, T0 + 1)).rejects.toBeInstanceOf(ConflictError);
      expect((await store.users.findById('u2'))?.email).toBe('b@example.com');
    });

    it('answers null when updating a user that does not exist, and changes nobody else', async () => {
      await store.users.create(newUser('u1', 'a@example.com', { name: 'A' }), T0);
      expect(await store.users.update('nobody', { name: 'X' }, T0 + 1)).toBeNull();
      expect(await store.users.findById('u1')).toMatchObject({ name: 'A', updatedAt: T0 });
    });

    it('deletes a user once and answers false the second time', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.users.findById('u1')).toBeNull();
      expect(await store.users.delete('u1')).toBe(false);
      expect(await store.users.findById('u2')).not.toBeNull();
    });

    it('lists users in email order across three pages, with no next cursor on the last', async () => {
      for (const [id, email] of [
        ['u1', 'eve@example.com'],
        ['u2', 'bob@example.com'],
        ['u3', 'dan@example.com'],
        ['u4', 'alice@example.com'],
        ['u5', 'carol@example.com'],
      ] as const) {
        await store.users.create(newUser(id, email), T0);
      }
      const first = await store.users.list({ limit: 2 });
      expect(first.items.map((u) => u.email)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(first.next).not.toBeNull();
      const second = await store.users.list({ after: first.next, limit: 2 });
      expect(second.items.map((u) => u.email)).toEqual(['carol@example.com', 'dan@example.com']);
      expect(second.next).not.toBeNull();
      const third = await store.users.list({ after: second.next, limit: 2 });
      expect(third.items.map((u) => u.email)).toEqual(['eve@example.com']);
      expect(third.next).toBeNull();
    });

    it('gives no next cursor when the last page is exactly full', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      const page = await store.users.list({ limit: 2 });
      expect(page.items).toHaveLength(2);
      expect(page.next).toBeNull();
    });

    it('rejects a page cursor it did not issue', async () => {
      await expect(store.users.list({ after: 'not-a-cursor', limit: 2 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('deletes a user together with their sessions, codes and refresh tokens, and nobody else’s', async () => {
      await seedUserAndClient(store);
      for (const userId of ['u1', 'u2']) {
        await store.sessions.create(newSession(`s-${userId}`, userId));
        await store.codes.create(newCode(`c-${userId}`, userId, 'rp'));
        await store.refreshTokens.create(newToken(`r-${userId}`, userId, 'rp'));
      }
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.sessions.findLive('s-u1', T0)).toBeNull();
      expect(await store.codes.find('c-u1')).toBeNull();
      expect(await store.refreshTokens.find('r-u1')).toBeNull();
      expect(await store.sessions.findLive('s-u2', T0)).not.toBeNull();
      expect(await store.codes.find('c-u2')).not.toBeNull();
      expect(await store.refreshTokens.find('r-u2')).not.toBeNull();
    });
  });
});
