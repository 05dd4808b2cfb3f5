// The admin users benchmark itself (not its figures: `npm run bench:admin-users`): its quick mode runs to the
// end as a child process, as the npm script runs it, and writes a table with a row for every scenario. It
// checks every page it times against the seeded users, so this also fails when the list shows the wrong people.
// No timing is asserted: a loaded test machine says nothing about the budget.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nextLink } from '../../bench/admin-users/measure.js';
import { listOrder, population, RARE_COUNT, SEARCHES } from '../../bench/admin-users/population.js';
import { packageRoot } from '../../src/paths.js';

const SCRIPT = path.join(packageRoot, 'dist/bench/admin-users.js');
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
      for (const label of ['First page', 'Walk: pages 2–21 via Next', ...SEARCHES.map((s) => s.label)]) {
        const row = section.split('\n').find((line) => line.startsWith(`| ${label} |`));
        expect(row, `${label} in ${section.split('\n')[0]}`).toBeDefined();
        // pages measured, p50, p95, max, then the ratio to the budget with its verdict
        expect(row).toMatch(/\| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ (✅ met|❌ missed) \|$/);
      }
    }
  }, 180_000);
});
