// `npm run bench [-- --quick]`: Gatehouse and oidc-provider side by side on loopback, in one process tree.
// Alternating A/B runs (three of each), medians, ratios against the targets; the report goes to
// bench/results.md and docs/bench-ratios.svg. PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL) adds
// the SSO flow on the shared store.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { argon2Ceiling, rs256Ceiling } from './ceilings.js';
import { closeAgent } from './load/http-client.js';
import { chart, markdown, median, type Ceiling, type Comparison } from './report.js';
import { discovery, jwks, refresh, rssMiB, signIn, sso, tokenP99UnderSignIns, type Sample } from './scenarios.js';
import { startGatehouse } from './servers/gatehouse.js';
import { startOidcProvider } from './servers/oidc-provider.js';
import { BENCH_USER, type Target } from './target.js';

const quick = process.argv.includes('--quick');
const RUNS = 3;
const RUN_MS = quick ? 1000 : 10_000;
const CEILING_MS = quick ? 1000 : 5000;
const SETTLE_MS = quick ? 300 : 1000;
const databaseUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
/** RS256 signatures per refresh grant: Gatehouse signs the ID token and the JWT access token. */
const GATEHOUSE_SIGNATURES_PER_REFRESH = 2;

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
  target?: Comparison['target'];
  measure: Measure;
}

const scenarios: Scenario[] = [
  { id: 'discovery', label: 'Discovery (50 connections)', unit: 'req/s', higherIsBetter: true, target: { op: '>=', ratio: 2 }, measure: (t) => discovery(t, RUN_MS) },
  { id: 'jwks', label: 'JWKS (50 connections)', unit: 'req/s', higherIsBetter: true, target: { op: '>=', ratio: 2 }, measure: (t) => jwks(t, RUN_MS) },
  { id: 'sso-1', label: 'SSO code flow, c=1', unit: 'flows/s', higherIsBetter: true, target: { op: '>=', ratio: 1.5 }, measure: (t) => sso(t, RUN_MS, 1) },
  { id: 'sso-16', label: 'SSO code flow, c=16', unit: 'flows/s', higherIsBetter: true, target: { op: '>=', ratio: 1.5 }, measure: (t) => sso(t, RUN_MS, 16) },
  { id: 'signin-8', label: 'Full sign-in flow, c=8', unit: 'flows/s', higherIsBetter: true, measure: (t) => signIn(t, RUN_MS, 8) },
  { id: 'refresh-16', label: 'Refresh grant, c=16', unit: 'grants/s', higherIsBetter: true, target: { op: '>=', ratio: 1.2 }, measure: (t) => refresh(t, RUN_MS, 16) },
  { id: 'p99-ratio', label: 'Token p99 with 8 sign-ins ÷ idle', unit: '×', higherIsBetter: false, measure: (t) => tokenP99UnderSignIns(t, RUN_MS) },
];

async function alternate(label: string, a: Target, b: Target, measure: Measure, into: { a: Sample[]; b: Sample[] }): Promise<void> {
  for (let run = 0; run < RUNS; run++) {
    const order: [Target, Sample[]][] =
      run % 2 === 0
        ? [
            [a, into.a],
            [b, into.b],
          ]
        : [
            [b, into.b],
            [a, into.a],
          ];
    for (const [target, samples] of order) {
      progress(`${label} · ${target.name} · run ${run + 1}/${RUNS}`);
      samples.push(await measure(target));
    }
  }
}

async function coldStarts(): Promise<{ gatehouse: Sample[]; peer: Sample[]; rssGatehouse: Sample[]; rssPeer: Sample[] }> {
  const out = { gatehouse: [] as Sample[], peer: [] as Sample[], rssGatehouse: [] as Sample[], rssPeer: [] as Sample[] };
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? (['gatehouse', 'peer'] as const) : (['peer', 'gatehouse'] as const);
    for (const which of order) {
      progress(`cold start and idle RSS · ${which === 'peer' ? 'oidc-provider' : 'gatehouse'} · run ${run + 1}/${RUNS}`);
      const target = which === 'peer' ? await startOidcProvider() : await startGatehouse();
      try {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        out[which].push({ value: target.coldStartMs });
        out[which === 'peer' ? 'rssPeer' : 'rssGatehouse'].push({ value: rssMiB(target.process.pid) });
      } finally {
        await target.stop();
      }
    }
  }
  return out;
}

function comparison(s: Pick<Scenario, 'id' | 'label' | 'unit' | 'higherIsBetter' | 'target'>, samples: { a: Sample[]; b: Sample[] }, peerName = 'oidc-provider'): Comparison {
  const details = samples.a.some((x) => x.detail) ? { gatehouse: samples.a.map((x) => x.detail ?? ''), peer: samples.b.map((x) => x.detail ?? '') } : undefined;
  return { ...s, runs: { gatehouse: samples.a.map((x) => x.value), peer: samples.b.map((x) => x.value) }, ...(details ? { detail: details } : {}), peerName };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  steps = 2 + RUNS * 2 + scenarios.length * RUNS * 2 + 1 + (databaseUrl ? RUNS * 2 : 0);
  process.stderr.write(`gatehouse bench${quick ? ' (quick)' : ''}: ${RUNS} alternating runs of ${RUN_MS / 1000} s per measure\n`);

  progress('RS256 signing ceiling');
  const rs256 = await rs256Ceiling(CEILING_MS);
  progress('argon2id verification ceiling');
  const argon2 = await argon2Ceiling(CEILING_MS, BENCH_USER.password);
  const starts = await coldStarts();

  const gatehouse = await startGatehouse();
  const peer = await startOidcProvider();
  const comparisons: Comparison[] = [];
  const bySample = new Map<string, { a: Sample[]; b: Sample[] }>();
  try {
    for (const scenario of scenarios) {
      const samples = { a: [] as Sample[], b: [] as Sample[] };
      await alternate(scenario.label, gatehouse, peer, scenario.measure, samples);
      bySample.set(scenario.id, samples);
      comparisons.push(comparison(scenario, samples));
    }
    progress('RSS after the run');
    comparisons.push(
      comparison({ id: 'cold', label: 'Cold start (spawn → discovery 200)', unit: 'ms', higherIsBetter: false, target: { op: '<=', ratio: 0.75 } }, { a: starts.gatehouse, b: starts.peer }),
      comparison({ id: 'rss-idle', label: 'RSS idle', unit: 'MiB', higherIsBetter: false, target: { op: '<=', ratio: 0.9 } }, { a: starts.rssGatehouse, b: starts.rssPeer }),
      comparison({ id: 'rss-after', label: 'RSS after the run', unit: 'MiB', higherIsBetter: false }, { a: [{ value: rssMiB(gatehouse.process.pid) }], b: [{ value: rssMiB(peer.process.pid) }] }),
    );
    if (databaseUrl) {
      const onPostgres = await startGatehouse({ databaseUrl });
      try {
        const samples = { a: [] as Sample[], b: [] as Sample[] };
        await alternate('SSO c=16 on PostgreSQL vs SQLite', onPostgres, gatehouse, (t) => sso(t, RUN_MS, 16), samples);
        comparisons.push(comparison({ id: 'sso-16-pg', label: 'SSO c=16, PostgreSQL ÷ SQLite store', unit: 'flows/s', higherIsBetter: true }, samples, 'Gatehouse on SQLite'));
      } finally {
        await onPostgres.stop();
      }
    }
  } finally {
    await gatehouse.stop();
    await peer.stop();
    closeAgent();
  }

  const signInFlows = median((bySample.get('signin-8')?.a ?? []).map((s) => s.value));
  const refreshes = median((bySample.get('refresh-16')?.a ?? []).map((s) => s.value));
  const p99 = median((bySample.get('p99-ratio')?.a ?? []).map((s) => s.value));
  const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
  const ceilings: Ceiling[] = [
    {
      label: 'RS256 signatures/s (jose, RSA-2048)',
      value: rs256.toFixed(0),
      verdict: `Gatehouse refresh grants use ${pct((refreshes * GATEHOUSE_SIGNATURES_PER_REFRESH) / rs256)} of it (${GATEHOUSE_SIGNATURES_PER_REFRESH} signatures per grant; target ≥ 50 %) ${(refreshes * GATEHOUSE_SIGNATURES_PER_REFRESH) / rs256 >= 0.5 ? '✅' : '❌'}`,
    },
    {
      label: 'argon2id verifications/s (m=19456, t=2, p=1)',
      value: argon2.toFixed(1),
      verdict: `Gatehouse full sign-ins reach ${pct(signInFlows / argon2)} of it (target ≥ 85 %) ${signInFlows / argon2 >= 0.85 ? '✅' : '❌'}`,
    },
    { label: 'Token-endpoint p99 with 8 sign-ins ÷ idle', value: `${p99.toFixed(2)}×`, verdict: `Gatehouse (target ≤ 3×) ${p99 <= 3 ? '✅' : '❌'}` },
  ];
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const settings = `${quick ? 'quick run: ' : ''}${RUNS} runs × ${RUN_MS / 1000} s per measure, ceilings over ${CEILING_MS / 1000} s; Gatehouse on SQLite${databaseUrl ? ' (and PostgreSQL for the last comparison)' : ''}, oidc-provider with its in-memory adapter`;
  writeFileSync(path.join(packageRoot, 'bench', 'results.md'), markdown({ comparisons, ceilings, settings, startedAt, seconds }));
  mkdirSync(path.join(packageRoot, 'docs'), { recursive: true });
  writeFileSync(path.join(packageRoot, 'docs', 'bench-ratios.svg'), chart(comparisons.filter((c) => c.peerName === 'oidc-provider' && c.id !== 'rss-after')));
  process.stderr.write(`\r\x1b[2Kdone in ${Math.round(seconds)} s: bench/results.md, docs/bench-ratios.svg\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
