// Store contract: finding users for the admin screens (UserRepository.list with `search`, count). Shared
// engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store, UserListOptions } from '../../src/store/store.js';
import { engines, freshStorePerTest, newUser, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  /** The emails of every page `options` lists, following the cursor to the end. */
  async function emails(options: Omit<UserListOptions, 'after'>): Promise<string[][]> {
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const page = await store.users.list({ ...options, after });
      pages.push(page.items.map((user) => user.email));
      after = page.next;
    } while (after !== null);
    return pages;
  }

  describe('users, searched', () => {
    beforeEach(async () => {
      const people: [string, string, string | null][] = [
        ['u1', 'ada@example.com', 'Ada Lovelace'],
        ['u2', 'Grace.Hopper@Navy.example', 'Grace Hopper'],
        ['u3', 'linus@kernel.example', null],
        ['u4', 'barbara@example.org', 'Barbara Liskov'],
        ['u5', 'edsger@example.nl', 'Edsger W. Dijkstra'],
        ['u6', 'under_score@example.com', 'Percent 100% Sure'],
        ['u7', 'underxscore@example.com', 'Percent 1000 Sure'],
      ];
      for (const [id, email, name] of people) await store.users.create(newUser(id, email, { name }), T0);
    });

    it('finds users whose email contains the search, in email order', async () => {
      expect(await emails({ limit: 10, search: 'example.com' })).toEqual([['ada@example.com', 'under_score@example.com', 'underxscore@example.com']]);
    });

    it('finds users whose name contains the search', async () => {
      expect(await emails({ limit: 10, search: 'hopper' })).toEqual([['Grace.Hopper@Navy.example']]);
      expect(await emails({ limit: 10, search: 'w. dij' })).toEqual([['edsger@example.nl']]);
    });

    it('ignores case and the spaces around the search', async () => {
      expect(await emails({ limit: 10, search: '  NAVY.Example ' })).toEqual([['Grace.Hopper@Navy.example']]);
      expect(await emails({ limit: 10, search: 'LISKOV' })).toEqual([['barbara@example.org']]);
    });

    it('continues a search on the next page under the same search, and ends it', async () => {
      expect(await emails({ limit: 2, search: 'e' })).toEqual([
        ['ada@example.com', 'barbara@example.org'],
        ['edsger@example.nl', 'Grace.Hopper@Navy.example'],
        ['linus@kernel.example', 'under_score@example.com'],
        ['underxscore@example.com'],
      ]);
      expect(await emails({ limit: 2, search: 'example.com' })).toEqual([['ada@example.com', 'under_score@example.com'], ['underxscore@example.com']]);
    });

    it('takes `%` and `_` in a search literally, not as wildcards', async () => {
      expect(await emails({ limit: 10, search: 'under_' })).toEqual([['under_score@example.com']]);
      expect(await emails({ limit: 10, search: '100%' })).toEqual([['under_score@example.com']]);
      expect(await emails({ limit: 10, search: '%' })).toEqual([['under_score@example.com']]);
      expect(await emails({ limit: 10, search: '_' })).toEqual([['under_score@example.com']]);
    });

    it('ignores case beyond ASCII letters too, in names', async () => {
      await store.users.create(newUser('u8', 'lw@example.pl', { name: 'Łukasz Wiśniewski' }), T0);
      await store.users.create(newUser('u9', 'ed@example.fr', { name: 'ÉDITH Piaf' }), T0);
      expect(await emails({ limit: 10, search: 'łukasz wiś' })).toEqual([['lw@example.pl']]);
      expect(await emails({ limit: 10, search: 'ÉDITH' })).toEqual([['ed@example.fr']]);
      expect(await emails({ limit: 10, search: 'édith' })).toEqual([['ed@example.fr']]);
      expect(await emails({ limit: 10, search: 'WIŚ' })).toEqual([['lw@example.pl']]);
    });

    it('finds a renamed user by the new name only, and one whose name was removed by the email only', async () => {
      await store.users.update('u1', { name: 'Augusta King' }, T0 + 1);
      await store.users.update('u4', { name: null }, T0 + 1);
      expect(await emails({ limit: 10, search: 'augusta' })).toEqual([['ada@example.com']]);
      expect(await emails({ limit: 10, search: 'lovelace' })).toEqual([[]]);
      expect(await emails({ limit: 10, search: 'liskov' })).toEqual([[]]);
      expect(await emails({ limit: 10, search: 'barbara' })).toEqual([['barbara@example.org']]);
    });

    it('finds nobody for a search nothing contains, and everyone for an empty or blank one', async () => {
      expect(await emails({ limit: 10, search: 'nobody' })).toEqual([[]]);
      expect((await emails({ limit: 10, search: '' })).flat()).toHaveLength(7);
      expect((await emails({ limit: 10, search: '   ' })).flat()).toHaveLength(7);
    });
  });

  describe('users, counted', () => {
    it('counts every user, disabled ones too', async () => {
      expect(await store.users.count()).toBe(0);
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com', { disabled: true }), T0);
      expect(await store.users.count()).toBe(2);
      await store.users.delete('u1');
      expect(await store.users.count()).toBe(1);
    });
  });
});
