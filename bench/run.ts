// `npm run bench [-- --quick]`: Gatehouse and oidc-provider in two set-ups (the default peer: in memory, opaque
// access tokens; the same-work peer: durable SQLite, JWT access tokens) side by side on loopback, in one process
// tree. The machine's ceilings first, with nothing else running; then three runs of each measure, rotating the
// order of the three servers; medians, ratios and the targets go to bench/results.md and
// docs/bench-ratios.svg. PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL) adds SSO c=16 with Gatehouse on
// PostgreSQL against Gatehouse on SQLite, and the same-work peer on PostgreSQL as information.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { CEILING_STEPS, measureCeilings, opensslVersion } from './ceilings.js';
import { closeAgent } from './load/http-client.js';
import { chart, markdown } from './report.js';
import { discovery, jwks, refresh, rssMiB, signIn, sso, tokenP99UnderSignIns, type Sample } from './scenarios.js';
import { startGatehouse } from './servers/gatehouse.js';
import { startOidcProvider } from './servers/oidc-provider.js';
import { SIDE_NAMES, SIDES, type Comparison, type PostgresRuns, type Side } from './targets.js';
import { BENCH_USER, type Target } from './target.js';

const quick = process.argv.includes('--quick');
const RUNS = 3;
const RUN_MS = quick ? 1000 : 10_000;
const CEILING_MS = quick ? 1000 : 5000;
const SETTLE_MS = quick ? 300 : 1000;
const databaseUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;

let step = 0;
let steps = 0;
function progress(what: string): void {
  step++;
  process.stderr.write(`\r\x1b[2K[${String(step).padStart(String(steps).length)}/${steps}] ${what}`);
}

type Measure = (target: Target) => Promise<Sample>;

interface Scenario {
  id: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  measure: Measure;
}

const scenarios: Scenario[] = [
  { id: 'discovery', label: 'Discovery (50 connections)', unit: 'req/s', higherIsBetter: true, measure: (t) => discovery(t, RUN_MS) },
  { id: 'jwks', label: 'JWKS (50 connections)', unit: 'req/s', higherIsBetter: true, measure: (t) => jwks(t, RUN_MS) },
  { id: 'sso-1', label: 'SSO code flow, c=1', unit: 'flows/s', higherIsBetter: true, measure: (t) => sso(t, RUN_MS, 1) },
  { id: 'sso-16', label: 'SSO code flow, c=16', unit: 'flows/s', higherIsBetter: true, measure: (t) => sso(t, RUN_MS, 16) },
  { id: 'signin-8', label: 'Full sign-in flow, c=8', unit: 'flows/s', higherIsBetter: true, measure: (t) => signIn(t, RUN_MS, 8) },
  { id: 'refresh-16', label: 'Refresh grant, c=16', unit: 'grants/s', higherIsBetter: true, measure: (t) => refresh(t, RUN_MS, 16) },
  { id: 'p99-ratio', label: 'Token p99 with 8 sign-ins ÷ idle', unit: '×', higherIsBetter: false, measure: (t) => tokenP99UnderSignIns(t, RUN_MS) },
];

/** Run r measures in the order rotated by r: each server goes first, second and third once in three runs. */
function rotated<T>(items: readonly T[], run: number): T[] {
  return items.map((_, i) => items[(i + run) % items.length] as T);
}

const noSamples = (): Record<Side, Sample[]> => ({ gatehouse: [], peer: [], sameWork: [] });

async function rotate<K extends string>(label: string, targets: Record<K, Target>, names: Record<K, string>, measure: Measure, into: Record<K, Sample[]>): Promise<void> {
  const keys = Object.keys(targets) as K[];
  for (let run = 0; run < RUNS; run++) {
    for (const key of rotated(keys, run)) {
      progress(`${label} · ${names[key]} · run ${run + 1}/${RUNS}`);
      into[key].push(await measure(targets[key]));
    }
  }
}

const starters: Record<Side, () => Promise<Target>> = {
  gatehouse: () => startGatehouse(),
  peer: () => startOidcProvider(),
  sameWork: () => startOidcProvider({ setup: 'same-work' }),
};

/** Each server started afresh RUNS times (rotating): its cold start, and its RSS once it has settled. */
async function coldStarts(): Promise<{ cold: Record<Side, Sample[]>; rss: Record<Side, Sample[]> }> {
  const out = { cold: noSamples(), rss: noSamples() };
  for (let run = 0; run < RUNS; run++) {
    for (const side of rotated(SIDES, run)) {
      progress(`cold start and idle RSS · ${SIDE_NAMES[side]} · run ${run + 1}/${RUNS}`);
      const target = await starters[side]();
      try {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        out.cold[side].push({ value: target.coldStartMs });
        out.rss[side].push({ value: rssMiB(target.process.pid) });
      } finally {
        await target.stop();
      }
    }
  }
  return out;
}

/** SSO c=16: Gatehouse on PostgreSQL and on SQLite, and the same-work peer on PostgreSQL, rotating. */
async function onPostgres(url: string, gatehouse: Target): Promise<PostgresRuns> {
  const runs: PostgresRuns = { gatehouse: [], sqlite: [], sameWork: [] };
  const pgGatehouse = await startGatehouse({ databaseUrl: url });
  try {
    const pgPeer = await startOidcProvider({ setup: 'same-work', databaseUrl: url });
    try {
      const targets = { gatehouse: pgGatehouse, sqlite: gatehouse, sameWork: pgPeer };
      const names = { gatehouse: 'Gatehouse on PostgreSQL', sqlite: 'Gatehouse on SQLite', sameWork: 'same-work peer on PostgreSQL' };
      await rotate('SSO c=16 on PostgreSQL', targets, names, (t) => sso(t, RUN_MS, 16), runs);
    } finally {
      await pgPeer.stop();
    }
  } finally {
    await pgGatehouse.stop();
  }
  return runs;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  steps = CEILING_STEPS + RUNS * 3 + scenarios.length * RUNS * 3 + 1 + (databaseUrl ? RUNS * 3 : 0);
  process.stderr.write(`gatehouse bench${quick ? ' (quick)' : ''}: ${RUNS} rotating runs of ${RUN_MS / 1000} s per measure on three servers\n`);

  // Nothing else runs yet: the ceilings are the machine's.
  const ceilings = await measureCeilings(CEILING_MS, BENCH_USER.password, progress);
  const openssl = await opensslVersion();
  const starts = await coldStarts();

  const started: Partial<Record<Side, Target>> = {};
  const comparisons: Comparison[] = [];
  let postgres: PostgresRuns | undefined;
  try {
    for (const side of SIDES) started[side] = await starters[side]();
    const targets = started as Record<Side, Target>;
    for (const scenario of scenarios) {
      const runs = noSamples();
      await rotate(scenario.label, targets, SIDE_NAMES, scenario.measure, runs);
      const { id, label, unit, higherIsBetter } = scenario;
      comparisons.push({ id, label, unit, higherIsBetter, runs });
    }
    progress('RSS after the run');
    const rssAfter = noSamples();
    for (const side of SIDES) rssAfter[side].push({ value: rssMiB(targets[side].process.pid) });
    comparisons.push(
      { id: 'cold', label: 'Cold start (spawn → discovery 200)', unit: 'ms', higherIsBetter: false, runs: starts.cold },
      { id: 'rss-idle', label: 'RSS idle', unit: 'MiB', higherIsBetter: false, runs: starts.rss },
      { id: 'rss-after', label: 'RSS after the run', unit: 'MiB', higherIsBetter: false, runs: rssAfter },
    );
    if (databaseUrl) postgres = await onPostgres(databaseUrl, targets.gatehouse);
  } finally {
    for (const side of SIDES) await started[side]?.stop();
    closeAgent();
  }

  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const settings =
    `${quick ? 'quick run: ' : ''}${RUNS} runs × ${RUN_MS / 1000} s per measure, ceilings over ${CEILING_MS / 1000} s; Gatehouse on SQLite` +
    `${databaseUrl ? ' (and PostgreSQL for SSO c=16)' : ''}; the default peer in memory; the same-work peer on SQLite${databaseUrl ? ' (and PostgreSQL)' : ''}`;
  writeFileSync(path.join(packageRoot, 'bench', 'results.md'), markdown({ comparisons, ceilings, postgres, openssl, settings, startedAt, seconds }));
  mkdirSync(path.join(packageRoot, 'docs'), { recursive: true });
  writeFileSync(path.join(packageRoot, 'docs', 'bench-ratios.svg'), chart(comparisons.filter((c) => c.id !== 'rss-after')));
  process.stderr.write(`\r\x1b[2Kdone in ${Math.round(seconds)} s: bench/results.md, docs/bench-ratios.svg\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
