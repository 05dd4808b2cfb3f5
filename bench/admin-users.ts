// `npm run bench:admin-users [-- --quick] [-- --out FILE] [-- --users N]`: the admin users list (GET /admin/users)
// with 100,000 seeded users, page by page, against issue 7's budget of 50 ms per page. On SQLite, and on
// PostgreSQL too when BENCH_DATABASE_URL (else TEST_DATABASE_URL) names a database it may create a schema in.
// The report goes to bench/admin-users-results.md (or FILE) and to stdout. bench/admin-users.md explains it.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { packageRoot } from '../src/paths.js';
import { measure, signInAdmin, warmUp, type Plan } from './admin-users/measure.js';
import { listOrder, population, SEARCHES } from './admin-users/population.js';
import { markdown, type EngineReport } from './admin-users/report.js';
import { seedStore, type Engine } from './admin-users/seed.js';
import { startServer } from './admin-users/server.js';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const users = Number(option('--users') ?? (quick ? 10_000 : 100_000));
const out = path.resolve(option('--out') ?? path.join(packageRoot, 'bench', 'admin-users-results.md'));
const plan: Plan = quick ? { firstPageSamples: 10, walkPages: 20, searchRounds: 2, searchPages: 3 } : { firstPageSamples: 100, walkPages: 200, searchRounds: 10, searchPages: 3 };
const databaseUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;

function progress(what: string): void {
  process.stderr.write(`\r\x1b[2K${what}`);
}

/** What to undo if the run is interrupted: the server, the temp directory, the schema. */
const cleanups = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping\n`);
    void Promise.allSettled([...cleanups].map((undo) => undo())).then(() => process.exit(130));
  });
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${rows[0]?.server_version.split(' ')[0] ?? '?'}`;
  } finally {
    await client.end();
  }
}

async function runEngine(engine: Engine, seeded: ReturnType<typeof population>): Promise<EngineReport> {
  const title = engine === 'sqlite' ? 'SQLite' : await postgresVersion(databaseUrl ?? '');
  progress(`${title}: seeding ${users.toLocaleString('en-US')} users`);
  const store = await seedStore(engine, seeded, databaseUrl);
  cleanups.add(store.drop);
  try {
    progress(`${title}: starting the server`);
    const server = await startServer(store);
    cleanups.add(server.stop);
    try {
      const browser = await signInAdmin(server.issuer, store.admin.email, store.admin.password);
      const order = listOrder(seeded, store.admin.email, store.admin.name);
      const searches = SEARCHES.map((search) => ({ search, order: listOrder(seeded, store.admin.email, store.admin.name, search.q) }));
      progress(`${title}: warm-up`);
      await warmUp(browser, server.issuer, order, searches, plan);
      const scenarios = await measure(browser, server.issuer, order, searches, plan, (what) => progress(`${title}: ${what}`));
      return { title, users: seeded.length, insertMs: store.insertMs, totalSeedMs: store.totalMs, scenarios };
    } finally {
      await server.stop();
      cleanups.delete(server.stop);
    }
  } finally {
    await store.drop();
    cleanups.delete(store.drop);
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAverage = os.loadavg();
  if (!Number.isInteger(users) || users < plan.walkPages * 50 + 50) throw new Error(`--users must be an integer of at least ${plan.walkPages * 50 + 50} (the walk needs that many)`);
  process.stderr.write(`gatehouse admin users bench${quick ? ' (quick)' : ''}: ${users.toLocaleString('en-US')} users on SQLite${databaseUrl ? ' and PostgreSQL' : ''}\n`);
  const generated = performance.now();
  const seeded = population(users);
  const generationMs = performance.now() - generated;
  const engines: EngineReport[] = [];
  for (const engine of (databaseUrl ? ['sqlite', 'postgres'] : ['sqlite']) as Engine[]) {
    const report = await runEngine(engine, seeded);
    engines.push(report);
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const settings =
    `${quick ? 'quick run: ' : ''}${plan.firstPageSamples} first pages, a walk of ${plan.walkPages} pages, each search ${plan.searchRounds} × up to ${plan.searchPages} pages, after an untimed warm-up; ` +
    `users generated in ${(generationMs / 1000).toFixed(1)} s (seeded pseudo-random, the same every run)${databaseUrl ? '' : '; PostgreSQL not run (set BENCH_DATABASE_URL or TEST_DATABASE_URL)'}`;
  const text = markdown({ engines, settings, startedAt, seconds, loadAverage });
  writeFileSync(out, text);
  process.stdout.write(`${text}\n`);
  process.stderr.write(`\r\x1b[2Kdone in ${Math.round(seconds)} s: ${path.relative(process.cwd(), out) || out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
