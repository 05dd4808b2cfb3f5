// Store contract: a person's language and time zone (users.locale, users.time_zone, issue 25, migration 0016). Null
// until chosen (the request and the browser decide); set at creation or by an update, read back by every way in,
// kept through other edits, cleared with null. Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import type { NewUser } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe("a person's language and time zone", () => {
    it('creates an account with neither unless given, and reads both back by every way in', async () => {
      const { locale: _locale, timeZone: _timeZone, ...withoutThem } = newUser('u1', 'one@example.com');
      const plain: NewUser = withoutThem;
      expect(await store.users.create(plain, T0)).toMatchObject({ id: 'u1', locale: null, timeZone: null });
      const chosen = newUser('u2', 'two@example.com', { name: 'Zoë', locale: 'de', timeZone: 'Europe/Berlin' });
      expect(await store.users.create(chosen, T0)).toEqual({ ...chosen, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.users.findById('u1')).toEqual({ ...newUser('u1', 'one@example.com'), createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.users.findById('u2')).toEqual({ ...chosen, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.users.findByEmail('TWO@example.com')).toMatchObject({ locale: 'de', timeZone: 'Europe/Berlin' });
      const pairs = (users: { id: string; locale: string | null; timeZone: string | null }[]) => users.map((user) => [user.id, user.locale, user.timeZone]);
      expect(pairs((await store.users.list({ limit: 10 })).items)).toEqual([
        ['u1', null, null],
        ['u2', 'de', 'Europe/Berlin'],
      ]);
      expect(pairs((await store.users.list({ limit: 10, search: 'zoë' })).items)).toEqual([['u2', 'de', 'Europe/Berlin']]);
      await store.groups.create({ id: 'g1', name: 'Staff', description: '' }, T0);
      await store.groups.addMember('g1', 'u2', T0);
      expect(pairs((await store.users.list({ limit: 10, inGroup: 'g1' })).items)).toEqual([['u2', 'de', 'Europe/Berlin']]);
    });

    it('sets each on its own, keeps them through other edits, and clears them with null', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      expect(await store.users.update('u1', { locale: 'ar' }, T0 + MINUTE)).toMatchObject({ locale: 'ar', timeZone: null, updatedAt: T0 + MINUTE });
      expect(await store.users.update('u1', { timeZone: 'Asia/Tokyo' }, T0 + 2 * MINUTE)).toMatchObject({ locale: 'ar', timeZone: 'Asia/Tokyo' });
      // Other edits, the guarded and the mailed-link-ending ways too, leave them as they are.
      expect(await store.users.update('u1', { name: 'Ada', emailVerified: true }, T0 + 3 * MINUTE)).toMatchObject({ locale: 'ar', timeZone: 'Asia/Tokyo' });
      expect(await store.users.update('u1', { email: 'new@example.com', passwordHash: '$argon2id$new' }, T0 + 4 * MINUTE)).toMatchObject({ locale: 'ar', timeZone: 'Asia/Tokyo' });
      await store.users.create(newUser('u2', 'two@example.com', { isAdmin: true }), T0);
      expect(await store.users.update('u1', { isAdmin: false, disabled: true }, T0 + 5 * MINUTE)).toMatchObject({ locale: 'ar', timeZone: 'Asia/Tokyo' });
      // Both at once, with the other fields, in one write; then both back to "not chosen".
      expect(await store.users.update('u1', { locale: 'ja', timeZone: 'America/Argentina/Buenos_Aires', name: 'Ada L.' }, T0 + 6 * MINUTE)).toMatchObject({
        locale: 'ja',
        timeZone: 'America/Argentina/Buenos_Aires',
        name: 'Ada L.',
      });
      expect(await store.users.update('u1', { locale: null, timeZone: null }, T0 + 7 * MINUTE)).toMatchObject({ locale: null, timeZone: null, updatedAt: T0 + 7 * MINUTE });
      expect(await store.users.findById('u1')).toMatchObject({ locale: null, timeZone: null, name: 'Ada L.', email: 'new@example.com' });
      // Someone else's stay untouched.
      expect(await store.users.findById('u2')).toMatchObject({ locale: null, timeZone: null });
    });

    it('changes nothing when the update is conditioned on an address the person no longer has', async () => {
      await store.users.create(newUser('u1', 'one@example.com', { locale: 'fr' }), T0);
      expect(await store.users.update('u1', { locale: 'es' }, T0 + 1, { onlyIfEmail: 'other@example.com' })).toBeNull();
      expect(await store.users.findById('u1')).toMatchObject({ locale: 'fr', updatedAt: T0 });
    });
  });
});
