// Store contract: a group's members in the users list (UserRepository.list with `inGroup`, issue 21): members only, in
// email order a page at a time, optionally searched, whichever way the store reads them (src/store/sqlite/group-members.ts).
// Shared engines, setup and builders: ./engines.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { SQLITE_SEARCH_TUNING } from '../../src/store/sqlite/user-search.js';
import { POSTGRES_SEARCH_TUNING } from '../../src/store/postgres/user-search.js';
import type { Store, UserListOptions, UserRepository } from '../../src/store/store.js';
import { engines, freshStorePerTest, newUser, T0, type OpenedStore, type SearchTuning } from './engines.js';

/** Every page's emails, following the cursor to the end. */
async function allPages(users: UserRepository, options: Omit<UserListOptions, 'after'>): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  do {
    const page = await users.list({ ...options, after });
    pages.push(page.items.map((user) => user.email));
    after = page.next;
  } while (after !== null);
  return pages;
}

/** Each way to a page, forced with a few users by the window's size (the search's own figures stay the store's). */
function membersTuning(window: number, scanAbove = 1_000_000): SearchTuning {
  return { sqlite: SQLITE_SEARCH_TUNING, postgres: POSTGRES_SEARCH_TUNING, members: { sqlite: { window, scanAbove }, postgres: { window, scanAbove } } };
}

const WAYS: [string, SearchTuning][] = [
  ['the memberships alone (a window of one user)', membersTuning(1)],
  ['a small window, then the memberships', membersTuning(7)],
  ['a window holding every user', membersTuning(1_000_000)],
  ['a small window, then (searching a group of more than one member) the users in email order', membersTuning(7, 1)],
  ['a window of one user, then (searching) the users in email order', membersTuning(1, 0)],
];

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe("users, a group's members", () => {
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
      await store.groups.create({ id: 'g1', name: 'staff', description: '' }, T0);
      await store.groups.create({ id: 'g2', name: 'empty', description: '' }, T0);
      for (const id of ['u7', 'u2', 'u1', 'u6', 'u5']) await store.groups.addMember('g1', id, T0);
    });

    it('lists the members only, in email order, page after page', async () => {
      expect(await allPages(store.users, { limit: 2, inGroup: 'g1' })).toEqual([
        ['ada@example.com', 'edsger@example.nl'],
        ['Grace.Hopper@Navy.example', 'under_score@example.com'],
        ['underxscore@example.com'],
      ]);
      const page = await store.users.list({ limit: 10, inGroup: 'g1' });
      expect(page.items[0]).toEqual(await store.users.findById('u1'));
      expect(page.next).toBeNull();
    });

    it('lists nobody for a group with no members or no group at all', async () => {
      expect(await store.users.list({ limit: 10, inGroup: 'g2' })).toEqual({ items: [], next: null });
      expect(await store.users.list({ limit: 10, inGroup: 'nope' })).toEqual({ items: [], next: null });
      expect(await store.users.list({ limit: 10, inGroup: 'nope', search: 'ada' })).toEqual({ items: [], next: null });
    });

    it('searches among the members, ignoring case, with wildcards meaning themselves', async () => {
      expect(await allPages(store.users, { limit: 10, inGroup: 'g1', search: 'EXAMPLE.COM' })).toEqual([['ada@example.com', 'under_score@example.com', 'underxscore@example.com']]);
      expect(await allPages(store.users, { limit: 10, inGroup: 'g1', search: 'liskov' })).toEqual([[]]);
      expect(await allPages(store.users, { limit: 10, inGroup: 'g1', search: ' hopper ' })).toEqual([['Grace.Hopper@Navy.example']]);
      expect(await allPages(store.users, { limit: 10, inGroup: 'g1', search: 'under_' })).toEqual([['under_score@example.com']]);
      expect(await allPages(store.users, { limit: 10, inGroup: 'g1', search: '100%' })).toEqual([['under_score@example.com']]);
      expect(await allPages(store.users, { limit: 1, inGroup: 'g1', search: 'e' })).toEqual([
        ['ada@example.com'],
        ['edsger@example.nl'],
        ['Grace.Hopper@Navy.example'],
        ['under_score@example.com'],
        ['underxscore@example.com'],
      ]);
      expect((await allPages(store.users, { limit: 10, inGroup: 'g1', search: '  ' })).flat()).toHaveLength(5);
    });

    it('follows the memberships as they change, and a member whose email changes moves in the order', async () => {
      await store.groups.removeMember('g1', 'u1');
      await store.groups.addMember('g1', 'u3', T0);
      await store.users.update('u5', { email: 'zed@example.nl' }, T0 + 1);
      expect(await allPages(store.users, { limit: 10, inGroup: 'g1' })).toEqual([
        ['Grace.Hopper@Navy.example', 'linus@kernel.example', 'under_score@example.com', 'underxscore@example.com', 'zed@example.nl'],
      ]);
    });

    it('rejects a page cursor that is garbage', async () => {
      await expect(store.users.list({ limit: 1, inGroup: 'g1', after: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe("users, a group's members read every way", () => {
    // Groups of every density over 120 people: everyone, every other one, every 13th, one, nobody.
    const population = Array.from({ length: 120 }, (_, i) => ({
      id: `p${i}`,
      email: `${['ada', 'Bob', 'carol', 'dave', 'erin'][i % 5]}.${(i * 37) % 120}@${['example.com', 'Example.org', 'x_y.test'][i % 3]}`,
      name: i % 4 === 0 ? null : `${['Ann', 'Ben', 'Cat'][i % 3]} ${['Smith', 'Jones', '100%'][(i % 7) % 3]}`,
    }));
    const groups: [string, (i: number) => boolean][] = [
      ['all', () => true],
      ['half', (i) => i % 2 === 0],
      ['sparse', (i) => i % 13 === 5],
      ['one', (i) => i === 77],
      ['none', () => false],
    ];
    const terms = [undefined, 'ada', 'EXAMPLE.ORG', 'smith', '100%', '_', '.1', 'nobody'];
    let opened: OpenedStore;

    beforeAll(async () => {
      opened = await engine.open();
      for (const person of population) await opened.store.users.create(newUser(person.id, person.email, { name: person.name }), T0);
      for (const [name, member] of groups) {
        await opened.store.groups.create({ id: name, name, description: '' }, T0);
        for (const [i, person] of population.entries()) if (member(i)) await opened.store.groups.addMember(name, person.id, T0);
      }
    }, 120_000);

    afterAll(async () => {
      await opened.destroy();
    });

    function expected(group: string, term: string | undefined, limit: number): string[][] {
      const member = groups.find(([name]) => name === group)?.[1] ?? (() => false);
      const needle = term?.trim().toLowerCase() ?? '';
      const found = population
        .filter((person, i) => member(i) && (needle === '' || person.email.toLowerCase().includes(needle) || (person.name?.toLowerCase().includes(needle) ?? false)))
        .map((person) => person.email)
        .sort((a, b) => Buffer.compare(Buffer.from(a.toLowerCase()), Buffer.from(b.toLowerCase())));
      const pages: string[][] = [];
      for (let start = 0; start < found.length || pages.length === 0; start += limit) pages.push(found.slice(start, start + limit));
      return pages;
    }

    async function check(users: UserRepository): Promise<void> {
      for (const [group] of groups) {
        for (const term of terms) {
          for (const limit of [1, 4, 50]) {
            const options = { limit, inGroup: group, ...(term === undefined ? {} : { search: term }) };
            expect([group, term, limit, await allPages(users, options)]).toEqual([group, term, limit, expected(group, term, limit)]);
          }
        }
      }
    }

    it('finds exactly the members a brute-force filter finds, page after page, with the figures the store has', async () => {
      await check(opened.store.users);
    }, 120_000);

    it.each(WAYS)(
      'finds exactly the members a brute-force filter finds, page after page, through %s',
      async (_way, tuning) => {
        const searching = opened.usersSearching(tuning);
        try {
          await check(searching.users);
        } finally {
          await searching.close();
        }
      },
      120_000,
    );
  });
});
