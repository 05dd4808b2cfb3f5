// `idp export` then `idp import` carry issue 25's data: the language and time zone each person chose, and what the
// admin "Branding" screen saved, its images as base64 in the file and byte for byte after the move, at its version
// (so the next save's compare-and-set goes on from it). Real `idp` processes; the source is SQLite, the targets SQLite
// and (with TEST_DATABASE_URL) PostgreSQL, read back through the Store.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import type { BrandImage } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { toolStore, type TestEngine, type ToolStore } from '../helpers/cli-store.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { runIdp } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newUser, T0 } from '../store/engines.js';

const TRANSFER_KEY = Buffer.alloc(32, 9).toString('base64');
const targets: TestEngine[] = TEST_DATABASE_URL ? ['postgres', 'sqlite'] : ['sqlite'];
const USERS = ['u-ada', 'u-lin', 'u-sam'];
/** Every byte value (NULs, bytes that are no UTF-8, newlines), after a PNG signature. */
const LOGO: BrandImage = { contentType: 'image/png', data: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256))]) };
const FAVICON: BrandImage = { contentType: 'image/svg+xml', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><title>ضوء ✓</title></svg>') };
const CSS = '.card { border-inline-start: 4px solid var(--accent) } /* "ü" \\ */';

/** Everything issue 25 keeps, as the Store answers for it. */
async function languageAndBrand(store: Store) {
  return {
    users: (await Promise.all(USERS.map((id) => store.users.findById(id)))).map((user) => [user?.id, user?.locale, user?.timeZone]),
    branding: await store.branding.get(),
  };
}

describe('idp export and idp import with people’s languages and the saved brand', () => {
  let source: ToolStore;
  let files: { dir: string; remove: () => void };
  let dump: string;
  let expected: Awaited<ReturnType<typeof languageAndBrand>>;

  beforeAll(async () => {
    files = tempDir();
    source = await toolStore('sqlite');
    await source.withStore(async (store) => {
      await store.users.create(newUser('u-ada', 'ada@example.com', { locale: 'ja', timeZone: 'Asia/Tokyo' }), T0);
      await store.users.create(newUser('u-lin', 'lin@example.com', { locale: 'ar' }), T0);
      await store.users.create(newUser('u-sam', 'sam@example.com'), T0);
      await store.branding.save({ name: 'Acme ✓', color: '#0a5fff', logo: LOGO }, 0, 'u-ada', T0);
      await store.branding.save({ favicon: FAVICON, css: CSS }, 1, 'u-ada', T0 + 1);
    });
    expected = await source.withStore(languageAndBrand);
    // What the source holds is what was set up: the comparison below is not between two empty stores.
    expect(expected.users).toEqual([
      ['u-ada', 'ja', 'Asia/Tokyo'],
      ['u-lin', 'ar', null],
      ['u-sam', null, null],
    ]);
    expect(expected.branding).toMatchObject({ name: 'Acme ✓', color: '#0a5fff', css: CSS, version: 2, updatedAt: T0 + 1, updatedBy: 'u-ada' });
    expect(expected.branding?.logo?.data.equals(LOGO.data)).toBe(true);
    dump = path.join(files.dir, 'gatehouse.jsonl');
    const exported = await runIdp(['export', '--output', dump, '--json'], { ...source.env, TRANSFER_KEY });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ rows: { users: 3, branding: 1 } });
  });

  afterAll(async () => {
    await source?.drop();
    files?.remove();
  });

  it('writes the languages as text and the images as base64 in the file', () => {
    const [header = '{}', ...lines] = readFileSync(dump, 'utf8').trimEnd().split('\n');
    const current = readMigrations('sqlite').at(-1)?.version ?? 0;
    expect(current).toBeGreaterThanOrEqual(16);
    expect(JSON.parse(header)).toMatchObject({ schema_version: current });
    const rows = lines.map((line) => JSON.parse(line) as { table?: string; row?: Record<string, unknown> });
    expect(rows.filter((line) => line.table === 'users').map((line) => [line.row?.id, line.row?.locale, line.row?.time_zone])).toEqual(expected.users);
    expect(rows.filter((line) => line.table === 'branding').map((line) => line.row)).toEqual([
      {
        id: 1,
        name: 'Acme ✓',
        color: '#0a5fff',
        logo: LOGO.data.toString('base64'),
        logo_type: 'image/png',
        favicon: FAVICON.data.toString('base64'),
        favicon_type: 'image/svg+xml',
        css: CSS,
        version: 2,
        updated_at: T0 + 1,
        updated_by: 'u-ada',
      },
    ]);
  });

  describe.each(targets)('import into %s', (engine) => {
    let target: ToolStore;
    beforeAll(async () => {
      target = await toolStore(engine);
      const imported = await runIdp(['import', '--input', dump, '--json'], { ...target.env, TRANSFER_KEY });
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ rows: { users: 3, branding: 1 } });
    });
    afterAll(async () => {
      await target?.drop();
    });

    it('holds the same languages, time zones and brand, the images byte for byte', async () => {
      const moved = await target.withStore(languageAndBrand);
      expect(moved).toEqual(expected);
      expect(moved.branding?.logo?.data.equals(LOGO.data)).toBe(true);
      expect(moved.branding?.favicon?.data.equals(FAVICON.data)).toBe(true);
    });

    it('goes on from the source’s version: a save of an older one is refused, of the moved one accepted', async () => {
      await target.withStore(async (store) => {
        expect(await store.branding.version()).toBe(2);
        expect(await store.branding.save({ name: 'Stale' }, 1, 'u-ada', T0 + 9)).toBeNull();
        expect(await store.branding.save({ name: 'Moved' }, 2, 'u-ada', T0 + 9)).toMatchObject({ name: 'Moved', version: 3, css: CSS });
      });
    });
  });
});
