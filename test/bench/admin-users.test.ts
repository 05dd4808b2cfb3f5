// The admin users benchmark itself (not its figures: `npm run bench:admin-users`): its quick mode runs to the
// end as a child process, as the npm script runs it, and writes a table with a row for every scenario. It
// checks every page it times against the seeded users, so this also fails when the list shows the wrong people,
// and a group page, the users list filtered by group or the groups list the wrong members or groups (issue 21).
// No timing is asserted: a loaded test machine says nothing about the budget.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVERYONE_GROUP, groupOrder, groupPopulation, memberOrder, MOST_GROUPS } from '../../bench/admin-users/groups.js';
import { checkListPage } from '../../bench/admin-users/measure-groups.js';
import { nextLink } from '../../bench/admin-users/measure.js';
import { listOrder, population, RARE_COUNT, RARE_LAST_NAME, SEARCHES } from '../../bench/admin-users/population.js';
import { GROUP_NAME_PATTERN } from '../../src/manage/groups.js';
import { packageRoot } from '../../src/paths.js';

const SCRIPT = path.join(packageRoot, 'dist/bench/admin-users.js');
/** The groups scenarios' rows (issue 21), in the quick mode: walks of up to 5 pages (3 for the medium group's 200). */
const GROUP_LABELS = [
  'Group page, large group: first page',
  'Group page, large group: pages 2–6 via Next',
  'Group page, medium group: first page',
  'Group page, medium group: pages 2–4 via Next',
  'Group page, small group: first page',
  'Group page, member search, large group',
  'Group page, member search, medium group',
  'Users list by group: first page',
  'Users list by group: pages 2–6 via Next',
  'Groups list: first page',
  'Groups list: pages 2–6 via Next',
  'Groups list: search',
];
const postgres = Boolean(process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL);

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      cwd: packageRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...(process.env.BENCH_DATABASE_URL ? { BENCH_DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
        ...(process.env.TEST_DATABASE_URL ? { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the admin users benchmark', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-users-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('seeds the same varied users every time, with searches common, rare and empty', () => {
    const users = population(2000);
    expect(population(2000)).toEqual(users);
    expect(new Set(users.map((u) => u.emailNormalized)).size).toBe(users.length);
    const found = (q: string) => listOrder(users, 'admin@gatehouse.bench', 'Bench Admin', q).length;
    const [common, rare, domain, none] = SEARCHES.map((s) => found(s.q));
    expect(common).toBeGreaterThan(50);
    expect(rare).toBe(RARE_COUNT);
    expect(domain).toBeGreaterThan(20);
    expect(none).toBe(0);
    expect(listOrder(users, 'admin@gatehouse.bench', 'Bench Admin')).toHaveLength(2001);
  });

  it('seeds the same 1,000 groups every time: one of everyone, sizes from thousands to a few, 5 to 10 a person, some in 50', () => {
    const users = population(5000);
    const seeded = groupPopulation(users);
    expect(groupPopulation(users)).toEqual(seeded);
    const { groups, everyone, groupsPerUser } = seeded;
    expect(groups).toHaveLength(1000);
    expect(everyone.name).toBe(EVERYONE_GROUP);
    expect(everyone.members).toHaveLength(users.length);
    // Names as the store takes them: valid, unique whatever the case; ids unique.
    expect(groups.every((g) => GROUP_NAME_PATTERN.test(g.name))).toBe(true);
    expect(new Set(groups.map((g) => g.name.toLowerCase())).size).toBe(1000);
    expect(new Set(groups.map((g) => g.id)).size).toBe(1000);
    // Zipf-like: a few big groups, a long tail of small ones.
    const sizes = groups
      .filter((g) => g !== everyone)
      .map((g) => g.members.length)
      .sort((a, b) => b - a);
    expect(sizes[0]).toBeGreaterThan(users.length / 10);
    expect(sizes[499]).toBeLessThan(users.length / 200);
    // Each membership counted once per person, as the rows go in (a person's groups are distinct).
    const counted = new Uint8Array(users.length);
    for (const g of groups) {
      expect(new Set(g.members).size).toBe(g.members.length);
      for (const index of g.members) counted[index] = (counted[index] ?? 0) + 1;
    }
    expect(counted).toEqual(groupsPerUser);
    expect(Math.max(...groupsPerUser)).toBe(MOST_GROUPS);
    const average = seeded.memberships / users.length;
    expect(average).toBeGreaterThan(5);
    expect(average).toBeLessThan(10);
    const planted = users.flatMap((u, i) => (u.name.endsWith(` ${RARE_LAST_NAME}`) ? [groupsPerUser[i]] : []));
    expect(planted).toEqual(Array(RARE_COUNT).fill(MOST_GROUPS));
  });

  it('checks a page of a member list or of the groups list row by row: the right ids, in order, with their counts', () => {
    const users = population(200);
    const { groups, everyone } = groupPopulation(users, 60);
    const order = memberOrder(users, everyone);
    const row = (id: string) => `<tr><td><a href="/admin/users/${id}">x</a></td><td>1</td></tr>`;
    const page = (ids: string[], next: boolean) => ({
      url: 'http://127.0.0.1:1/admin/groups/g',
      body: `<table><tbody>${ids.map(row).join('\n')}</tbody></table><a href="/admin/users/new">New</a>${next ? '<a href="/admin/groups/g?after=x" rel="next">Next page</a>' : ''}`,
    });
    const members = { order, links: 'users' as const };
    expect(() => checkListPage(page(order.slice(0, 50), true), members, 0, 'large')).not.toThrow();
    expect(() => checkListPage(page(order.slice(150, 200), false), members, 3, 'large')).not.toThrow();
    const swapped = [order[1] ?? '', order[0] ?? '', ...order.slice(2, 50)];
    expect(() => checkListPage(page(swapped, true), members, 0, 'large')).toThrow(/row 1 shows/);
    expect(() => checkListPage(page(order.slice(0, 49), true), members, 0, 'large')).toThrow(/49 rows shown, 50 expected/);
    expect(() => checkListPage(page(order.slice(0, 50), false), members, 0, 'large')).toThrow(/no Next link/);
    expect(() => checkListPage(page(order.slice(150, 200), true), members, 3, 'large')).toThrow(/a Next link on the last page/);
    // The groups list: each row's member count too.
    const listed = groupOrder(groups).slice(0, 50);
    const counts = new Map(groups.map((g) => [g.id, g.members.length]));
    const groupRow = (id: string, n: number) => `<tr><td><a href="/admin/groups/${id}">name</a></td><td>about 5</td><td>${n.toLocaleString('en-US')}</td></tr>`;
    const groupPage = (n: (id: string) => number) => ({
      url: 'http://127.0.0.1:1/admin/groups',
      body: `<tbody>${listed.map((g) => groupRow(g.id, n(g.id))).join('')}</tbody><a rel="next" href="?after=y">Next page</a>`,
    });
    const list = { order: groupOrder(groups).map((g) => g.id), links: 'groups' as const, counts };
    expect(() =>
      checkListPage(
        groupPage((id) => counts.get(id) ?? 0),
        list,
        0,
        'groups',
      ),
    ).not.toThrow();
    expect(() =>
      checkListPage(
        groupPage((id) => (counts.get(id) ?? 0) + 1),
        list,
        0,
        'groups',
      ),
    ).toThrow(/members, not/);
  });

  it('follows the href of the "Next page" link, not the "First page" one', () => {
    const html = '<nav><a href="/admin/users?q=a">First page</a>\n<a href="/admin/users?q=a&amp;after=eyJ9" rel="next">Next page</a></nav>';
    expect(nextLink(html, 'http://127.0.0.1:1/admin/users?q=a')).toBe('http://127.0.0.1:1/admin/users?q=a&after=eyJ9');
    expect(nextLink('<a href="/admin/users">First page</a>', 'http://127.0.0.1:1/admin/users')).toBeNull();
  });

  it(`runs its quick mode to the end${postgres ? ' on SQLite and PostgreSQL' : ''} and writes a table with every scenario`, async () => {
    const out = path.join(dir, 'results.md');
    const result = await run(['--quick', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const report = readFileSync(out, 'utf8');
    expect(result.stdout).toContain(report.split('\n')[0]);
    const sections = report.split(/^## /m).filter((s) => /, [\d,]+ users$/.test(s.split('\n')[0] ?? ''));
    expect(sections.map((s) => s.split(',')[0])).toEqual(postgres ? ['SQLite', expect.stringMatching(/^PostgreSQL \d+/)] : ['SQLite']);
    for (const section of sections) {
      expect(section).toMatch(/Seeded in [\d.]+ s/);
      for (const label of ['First page', 'Walk: pages 2–21 via Next', ...SEARCHES.map((s) => s.label), ...GROUP_LABELS]) {
        const row = section.split('\n').find((line) => line.startsWith(`| ${label} |`));
        expect(row, `${label} in ${section.split('\n')[0]}`).toBeDefined();
        // pages measured, p50, p95, max, then the ratio to the budget with its verdict
        expect(row).toMatch(/\| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ (✅ met|❌ missed) \|$/);
      }
      expect(section).toMatch(/bulk inserts took [\d.]+ s for the users and [\d.]+ s for 1,000 groups with [\d,]+ memberships/);
      // The groups lookup of the token path: timed, and the plan the engine runs it with, which reads the person's
      // memberships from the (user_id, group_id) index rather than scanning group_members.
      const lookup = section.slice(section.indexOf("### The token path's groups lookup"));
      expect(lookup).toMatch(/for a person in 50 groups .*: 300 calls after 50 untimed, p50 [\d.]+ (µs|ms), p95 [\d.]+ (µs|ms)/);
      const plan = /Its plan[^\n]*\n\n```\n([\s\S]*?)\n```/.exec(lookup)?.[1] ?? '';
      expect(plan).toContain('group_members_by_user');
      expect(lookup).toMatch(/```sql\n.*group_members.*\n```/);
    }
  }, 180_000);
});
