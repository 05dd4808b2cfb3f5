// `npm run bench:admin-users [-- --quick] [-- --out FILE] [-- --users N] [-- --groups N]`: the admin users list (GET
// /admin/users) with 100,000 seeded users, page by page, against issue 7's budget of 50 ms per page; and with 1,000
// groups (issue 21) the group page's members, the users list filtered by group and the groups list against the same
// budget, and the token path's groups lookup (store.groups.groupsOf) for a person in 50 groups. On SQLite, and on
// PostgreSQL too when BENCH_DATABASE_URL (else TEST_DATABASE_URL) names a database it may create a schema in.
// The report goes to bench/admin-users-results.md (or FILE) and to stdout. bench/admin-users.md explains it.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { packageRoot } from '../src/paths.js';
import { GROUP_COUNT, groupPopulation, MOST_GROUPS, type GroupPopulation } from './admin-users/groups.js';
import { measureGroupsOf } from './admin-users/groups-of.js';
import { chooseGroups, groupScenarios, measureGroups, warmUpGroups, type ChosenGroups } from './admin-users/measure-groups.js';
import { measure, signInAdmin, warmUp, type Plan } from './admin-users/measure.js';
import { listOrder, population, RARE_LAST_NAME, SEARCHES, type SeedUser } from './admin-users/population.js';
import { markdown, type EngineReport } from './admin-users/report.js';
import { seedStore, type Engine } from './admin-users/seed.js';
import { startServer } from './admin-users/server.js';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const users = Number(option('--users') ?? (quick ? 10_000 : 100_000));
const groupTotal = Number(option('--groups') ?? GROUP_COUNT);
const out = path.resolve(option('--out') ?? path.join(packageRoot, 'bench', 'admin-users-results.md'));
const plan: Plan = quick ? { firstPageSamples: 10, walkPages: 20, searchRounds: 2, searchPages: 3 } : { firstPageSamples: 100, walkPages: 200, searchRounds: 10, searchPages: 3 };
/** The groups' pages (issue 21): as the users list's, fewer in the quick mode, which the test runs. */
const groupPlan: Plan = quick ? { firstPageSamples: 3, walkPages: 5, searchRounds: 1, searchPages: 3 } : plan;
/** Calls of store.groups.groupsOf: untimed, then timed. */
const groupsOfPlan = quick ? { warmUp: 50, samples: 300 } : { warmUp: 200, samples: 5000 };
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

const count = (n: number) => n.toLocaleString('en-US');

function describeChosen({ large, medium, small, filter }: ChosenGroups): string {
  const size = (n: number) => `${count(n)} member${n === 1 ? '' : 's'}`;
  return (
    `The group pages: large \`${large.name}\` (everyone, ${size(large.members.length)}), medium \`${medium.name}\` (${size(medium.members.length)}), ` +
    `small \`${small.name}\` (${size(small.members.length)}); the users list is filtered by \`${filter.name}\` (${size(filter.members.length)}), the largest group after everyone's.`
  );
}

/** The first planted person (in MOST_GROUPS groups) and their groups. */
function busiest(seeded: SeedUser[], groups: GroupPopulation): { user: SeedUser; groups: GroupPopulation['groups'] } {
  const index = seeded.findIndex((u, i) => u.name.endsWith(` ${RARE_LAST_NAME}`) && groups.groupsPerUser[i] === MOST_GROUPS);
  const user = seeded[index];
  if (!user) throw new Error(`no planted person in ${MOST_GROUPS} groups`);
  return { user, groups: groups.groups.filter((g) => g.members.includes(index)) };
}

async function runEngine(engine: Engine, seeded: SeedUser[], groups: GroupPopulation): Promise<EngineReport> {
  const title = engine === 'sqlite' ? 'SQLite' : await postgresVersion(databaseUrl ?? '');
  progress(`${title}: seeding ${count(users)} users, ${count(groups.groups.length)} groups, ${count(groups.memberships)} memberships`);
  const store = await seedStore(engine, seeded, groups, databaseUrl);
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
      const chosen = chooseGroups(groups, seeded.length);
      const listed = groupScenarios(server.issuer, seeded, groups, chosen, groupPlan);
      progress(`${title}: warm-up of the groups' pages`);
      await warmUpGroups(browser, listed);
      const groupResults = await measureGroups(browser, listed, (what) => progress(`${title}: ${what}`));
      await server.stop();
      cleanups.delete(server.stop);
      progress(`${title}: store.groups.groupsOf × ${groupsOfPlan.samples}`);
      const person = busiest(seeded, groups);
      const groupsOf = await measureGroupsOf(store.config, person.user, person.groups, groupsOfPlan);
      return {
        title,
        users: seeded.length,
        insertMs: store.insertMs,
        totalSeedMs: store.totalMs,
        scenarios,
        groups: { count: groups.groups.length, memberships: groups.memberships, insertMs: store.groupsInsertMs, chosen: describeChosen(chosen), scenarios: groupResults, groupsOf },
      };
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
  if (!Number.isInteger(groupTotal) || groupTotal < MOST_GROUPS) throw new Error(`--groups must be an integer of at least ${MOST_GROUPS} (people are in up to ${MOST_GROUPS})`);
  process.stderr.write(`gatehouse admin users bench${quick ? ' (quick)' : ''}: ${count(users)} users, ${count(groupTotal)} groups on SQLite${databaseUrl ? ' and PostgreSQL' : ''}\n`);
  const generated = performance.now();
  const seeded = population(users);
  const groups = groupPopulation(seeded, groupTotal);
  const generationMs = performance.now() - generated;
  const engines: EngineReport[] = [];
  for (const engine of (databaseUrl ? ['sqlite', 'postgres'] : ['sqlite']) as Engine[]) {
    const report = await runEngine(engine, seeded, groups);
    engines.push(report);
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const settings =
    `${quick ? 'quick run: ' : ''}${plan.firstPageSamples} first pages, a walk of ${plan.walkPages} pages, each search ${plan.searchRounds} × up to ${plan.searchPages} pages, after an untimed warm-up; ` +
    `${quick ? `the groups' pages ${groupPlan.firstPageSamples} first pages, walks of up to ${groupPlan.walkPages} pages, each search ${groupPlan.searchRounds} × up to ${groupPlan.searchPages} pages; ` : ''}` +
    `${count(groupsOfPlan.samples)} groupsOf calls after ${count(groupsOfPlan.warmUp)} untimed; ` +
    `users and groups generated in ${(generationMs / 1000).toFixed(1)} s (seeded pseudo-random, the same every run)${databaseUrl ? '' : '; PostgreSQL not run (set BENCH_DATABASE_URL or TEST_DATABASE_URL)'}`;
  const text = markdown({ engines, settings, startedAt, seconds, loadAverage });
  writeFileSync(out, text);
  process.stdout.write(`${text}\n`);
  process.stderr.write(`\r\x1b[2Kdone in ${Math.round(seconds)} s: ${path.relative(process.cwd(), out) || out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
