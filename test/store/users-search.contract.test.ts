// Store contract: finding users for the admin screens (UserRepository.list with `search`, count). Shared
// engines, setup and builders: ./engines.ts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generator } from '../../bench/admin-users/population.js';
import type { Store, UserListOptions, UserRepository } from '../../src/store/store.js';
import { engines, freshStorePerTest, newUser, T0, type OpenedStore, type SearchTuning } from './engines.js';

/**
 * Each way the search finds a page (src/store/rows/users.ts), forced with a few users by small figures; the store's
 * own figures read a few users in email order only.
 */
const WAYS: [string, SearchTuning][] = [
  [
    'the trigram index',
    {
      sqlite: { window: 1, indexCap: 1_000_000 },
      postgres: { indexCap: 1_000_000, sampleSize: 2000, sampleMaxAgeMs: 60_000 },
    },
  ],
  [
    'a window, then the index for few matches and reading on for many',
    {
      sqlite: { window: 5, indexCap: 40 },
      postgres: { indexCap: 40, sampleSize: 2000, sampleMaxAgeMs: 60_000 },
    },
  ],
  [
    'the index giving up at its cap, then reading on',
    {
      sqlite: { window: 1, indexCap: 0 },
      // No sample at all: every search asks the indexes, which give up at the first match.
      postgres: { indexCap: 0, sampleSize: 0, sampleMaxAgeMs: 60_000 },
    },
  ],
  [
    'reading in email order',
    {
      sqlite: { window: 1_000_000, indexCap: 1_000_000 },
      postgres: { indexCap: -1, sampleSize: 2000, sampleMaxAgeMs: 60_000 },
    },
  ],
];

/** Every page's emails under `search`, following the cursor to the end. */
async function allPages(users: UserRepository, search: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  do {
    const page = await users.list({ limit, search, after });
    pages.push(page.items.map((user) => user.email));
    after = page.next;
  } while (after !== null);
  return pages;
}

/** The pages a search must give: every user whose email or name contains it, ignoring case, in byte order of the lower-cased email. */
function expectedPages(people: { email: string; name: string | null }[], search: string, limit: number): string[][] {
  const term = search.trim().toLowerCase();
  const found = people
    .filter((person) => term === '' || person.email.trim().toLowerCase().includes(term) || (person.name?.toLowerCase().includes(term) ?? false))
    .sort((a, b) => Buffer.compare(Buffer.from(a.email.trim().toLowerCase()), Buffer.from(b.email.trim().toLowerCase())))
    .map((person) => person.email);
  const pages: string[][] = [];
  for (let start = 0; start < found.length || pages.length === 0; start += limit) pages.push(found.slice(start, start + limit));
  return pages;
}

/** A few hundred people whose emails and names hold what a search must take literally or fold: accents, CJK, emoji, quotes, wildcards. */
function people(count: number): { id: string; email: string; name: string | null }[] {
  const random = generator(7);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const firsts = [
    'Ada',
    'Zoë',
    'ZOË',
    'Łukasz',
    'Renée',
    'José',
    'Søren',
    'Björn',
    '東京',
    '山田 太郎',
    'Анна',
    'ΩMEGA',
    "O'Brien",
    'Mc"Quote"',
    'Back\\Slash',
    '100% Sure',
    'Under_Score',
    'Emoji😀Fan',
    '🎉 Party',
    'İlkay',
    'ǅemal',
    'Straße',
    'ﬁnn',
    'E\u0301clair',
    'Ann-Marie',
    'anna',
  ];
  const lasts = ['Lovelace', 'Hopper', 'Dijkstra', 'Featherstonehaugh', 'Nguyễn', '李', '田中', 'O"Neil', "D'Arcy", '50%', 'x_y', 'Smith', 'smithson', '😀😀', 'Q\\R'];
  const locals = [
    'ada',
    'zoe',
    'lukasz',
    'renee',
    'jose',
    'soren',
    'bjorn',
    'tokyo',
    'yamada',
    'anna',
    'omega',
    "o'brien",
    'mc"quote"',
    'back\\slash',
    '100%',
    'under_score',
    'emoji😀',
    'party🎉',
    'ilkay',
    'zoë',
    'straße',
    'é.clair',
    'a.b',
    'Grace.Hopper',
    'SMITH',
  ];
  const domains = ['example.com', 'Example.ORG', 'exämple.org', '例え.jp', 'mail.test', 'x_y.example', 'pct%.example', 'quote".example', 'b\\s.example'];
  return Array.from({ length: count }, (_, i) => {
    const name = random() < 0.15 ? null : `${pick(firsts)} ${pick(lasts)}`;
    // The number keeps emails unique; before the local part or after it, so that it shows in the order both ways.
    const local = pick(locals);
    return { id: `p${i}`, email: i % 3 === 0 ? `${i}${local}@${pick(domains)}` : `${local}.${i}@${pick(domains)}`, name };
  });
}

/** Substrings of the people's emails and names, 1 to 10 code points long, cased as stored or upper-cased, and a few picked by hand. */
function searches(of: { email: string; name: string | null }[], count: number): string[] {
  const random = generator(11);
  const picked = new Set([
    '%',
    '_',
    '"',
    "'",
    '\\',
    '%_',
    '\\%',
    '""',
    'c"q',
    "o'b",
    '😀',
    '😀a',
    'i😀',
    'y🎉',
    '🎉 pa',
    '東京',
    '山田 太',
    '太郎',
    'zoë',
    'ZOË',
    'zoe',
    'ł',
    'i̇l',
    'ss',
    'ß',
    'é',
    'e\u0301',
    'ﬁ',
    'fi',
    ' ',
    '  ann ',
    'nobody-at-all',
    '.',
    '@',
    '@ex',
    'example',
    'EXAMPLE.COM',
    'smith',
    'ada lovelace',
    'a l',
    'x_y',
    '50%',
    '0% s',
    '%.ex',
    'featherstonehaugh',
    'nguyễn',
    'анна',
    'ωmega',
    'ǆ',
    'strasse',
  ]);
  while (picked.size < count) {
    const person = of[Math.floor(random() * of.length)]!;
    const text = [...(random() < 0.5 || person.name === null ? person.email.toLowerCase() : person.name.toLowerCase())];
    const length = [1, 2, 3, 3, 4, 10][Math.floor(random() * 6)]!;
    const start = Math.floor(random() * Math.max(1, text.length - length + 1));
    const term = text.slice(start, start + length).join('');
    picked.add(random() < 0.2 ? term.toUpperCase() : term);
  }
  return [...picked];
}

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

  describe('users, searched every way', () => {
    const population = people(300);
    const terms = searches(population, 150);
    let opened: OpenedStore;

    beforeAll(async () => {
      opened = await engine.open();
      for (const person of population) await opened.store.users.create(newUser(person.id, person.email, { name: person.name }), T0);
    }, 120_000);

    afterAll(async () => {
      await opened.destroy();
    });

    it('finds exactly the users a brute-force filter finds, page after page, with the figures the store has', async () => {
      for (const term of terms) expect([term, await allPages(opened.store.users, term, 25)]).toEqual([term, expectedPages(population, term, 25)]);
    }, 120_000);

    it.each(WAYS)(
      'finds exactly the users a brute-force filter finds, page after page, through %s',
      async (_way, tuning) => {
        const searching = opened.usersSearching(tuning);
        try {
          for (const term of terms) expect([term, await allPages(searching.users, term, 25)]).toEqual([term, expectedPages(population, term, 25)]);
        } finally {
          await searching.close();
        }
      },
      120_000,
    );
  });

  describe.each(WAYS)('users, searched through %s after they change', (_way, tuning) => {
    let opened: OpenedStore;
    let searching: { users: UserRepository; close(): Promise<void> };

    beforeEach(async () => {
      opened = await engine.open();
      searching = opened.usersSearching(tuning);
      const people: [string, string, string | null][] = [
        ['u1', 'ada@example.com', 'Ada Lovelace'],
        ['u2', 'grace@navy.example', 'Grace Hopper'],
        ['u3', 'linus@kernel.example', null],
        ['u4', 'barbara@example.org', 'Barbara Liskov'],
        ['u5', 'edsger@example.nl', 'Edsger Dijkstra'],
      ];
      for (const [id, email, name] of people) await opened.store.users.create(newUser(id, email, { name }), T0);
      // A first search, so that a sample taken for it is older than the changes below.
      await searching.users.list({ limit: 10, search: 'example' });
    });

    afterEach(async () => {
      await searching.close();
      await opened.destroy();
    });

    async function found(search: string): Promise<string[]> {
      return (await allPages(searching.users, search, 2)).flat();
    }

    it('finds a renamed user by the new name only', async () => {
      await opened.store.users.update('u1', { name: 'Augusta King' }, T0 + 1);
      expect(await found('augusta')).toEqual(['ada@example.com']);
      expect(await found('lovelace')).toEqual([]);
      expect(await found('ada@')).toEqual(['ada@example.com']);
    });

    it('finds a user whose name was removed by the email only, and one who got a name by it', async () => {
      await opened.store.users.update('u4', { name: null }, T0 + 1);
      await opened.store.users.update('u3', { name: 'Linus Torvalds' }, T0 + 1);
      expect(await found('liskov')).toEqual([]);
      expect(await found('barbara')).toEqual(['barbara@example.org']);
      expect(await found('torvalds')).toEqual(['linus@kernel.example']);
    });

    it('finds a user by the new email only, in the place of the new email in the order', async () => {
      await opened.store.users.update('u2', { email: 'Admiral@Fleet.example' }, T0 + 1);
      expect(await found('navy')).toEqual([]);
      expect(await found('fleet')).toEqual(['Admiral@Fleet.example']);
      expect(await found('.example')).toEqual(['Admiral@Fleet.example', 'linus@kernel.example']);
      expect(await found('hopper')).toEqual(['Admiral@Fleet.example']);
    });

    it('finds a deleted user no more, and a user created later', async () => {
      await opened.store.users.delete('u5');
      await opened.store.users.create(newUser('u6', 'edsger.w@example.nl', { name: 'Another Edsger' }), T0 + 1);
      expect(await found('dijkstra')).toEqual([]);
      expect(await found('edsger')).toEqual(['edsger.w@example.nl']);
    });

    it('leaves the search alone when other fields change', async () => {
      await opened.store.users.update('u1', { disabled: true, emailVerified: true, passwordHash: 'other' }, T0 + 1);
      expect(await found('lovelace')).toEqual(['ada@example.com']);
    });
  });
});
