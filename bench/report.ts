// The benchmark's report: bench/results.md (machine, versions, the ceilings, the issue's targets met or missed,
// the comparisons with both peer set-ups, each flow's share of its ceiling, CPU per operation, every run, then
// bench/optimisations.md) and docs/bench-ratios.svg (bars against both peers, longer always better for Gatehouse).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import type { Ceilings } from './ceilings.js';
import { THREAD_ROLES, type CpuPerOp } from './cpu.js';
import type { Sample } from './scenarios.js';
import { GOALS, meets, median, medianOf, ratioOf, shares, SIGNATURES_PER_OP, SIDE_NAMES, SIDES, targetRows, type Comparison, type PostgresRuns, type Side } from './targets.js';

export { median, ratioOf, type Comparison, type PostgresRuns } from './targets.js';

export interface ReportInput {
  comparisons: Comparison[];
  ceilings: Ceilings;
  postgres?: PostgresRuns | undefined;
  /** `openssl version`. */
  openssl: string;
  settings: string;
  startedAt: Date;
  seconds: number;
}

const fmt = (n: number) => (!Number.isFinite(n) ? 'n/a' : n >= 100 ? Math.round(n).toLocaleString('en') : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)} %` : 'n/a');
/** "12.3 flows/s", but "2.48×". */
const withUnit = (n: number, unit: string) => (unit === '×' ? `${fmt(n)}×` : `${fmt(n)} ${unit}`);
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const verdict = (met: boolean | undefined) => (met === undefined ? '— not measured' : met ? '✅ met' : '❌ missed');

function version(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function machine(input: ReportInput): string[] {
  const cpu = os.cpus();
  return [
    `- ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'} (${input.ceilings.cores} available), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `- Node ${process.versions.node} (its OpenSSL ${process.versions.openssl}), ${input.openssl} for the ceilings, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
    `- gatehouse ${version('../')}, express ${version('express')}, jose ${version('jose')}, argon2 ${version('argon2')}, better-sqlite3 ${version('better-sqlite3')}, pg ${version('pg')}`,
    `- oidc-provider ${version('oidc-provider')}, koa ${version('koa')}; load: autocannon ${version('autocannon')} and bench/load/ (node:http, keep-alive)`,
    `- ${input.settings}`,
  ];
}

function ceilingRows(c: Ceilings): string[] {
  const each = (perSecond: number) => `${fmt(perSecond)}/s (${ms(1000 / perSecond)} ms each)`;
  return [
    '| ceiling | value |',
    '| --- | --- |',
    `| \`openssl speed rsa2048\`, RSA-2048 signatures on one core | ${each(c.opensslSingle)} |`,
    `| \`openssl speed -multi ${c.cores} rsa2048\`, all cores: the machine's signing ceiling | ${fmt(c.opensslMulti)}/s |`,
    `| jose \`SignJWT\` RS256, 1 in flight | ${fmt(c.jose.one)}/s |`,
    `| jose \`SignJWT\` RS256, ${c.pool} in flight (the thread pool) | ${fmt(c.jose.pool)}/s |`,
    `| jose \`SignJWT\` RS256, 16 in flight | ${fmt(c.jose.sixteen)}/s |`,
    `| argon2id verifications (m=19456, t=2, p=1), ${c.pool} in flight | ${fmt(c.argon2)}/s |`,
  ];
}

function summaryRows(comparisons: Comparison[]): string[] {
  const cell = (c: Comparison, side: Side) => (c.runs[side].length ? withUnit(medianOf(c.runs[side]), c.unit) : 'n/a');
  return [
    '| measure | Gatehouse | default peer | ratio | same-work peer | ratio |',
    '| --- | --- | --- | --- | --- | --- |',
    ...comparisons.map((c) => `| ${c.label} | ${cell(c, 'gatehouse')} | ${cell(c, 'peer')} | ${fmt(ratioOf(c, 'peer'))}× | ${cell(c, 'sameWork')} | ${fmt(ratioOf(c, 'sameWork'))}× |`),
  ];
}

function shareRows(input: ReportInput): string[] {
  return [
    `| scenario | ${SIDES.map((s) => SIDE_NAMES[s]).join(' | ')} |`,
    '| --- | --- | --- | --- |',
    ...shares(input.comparisons, input.ceilings).map(({ label, cells }) => {
      const text = SIDES.map((side) => {
        const cell = cells[side];
        if (!cell) return 'n/a';
        const argon2 = cell.ofArgon2 === undefined ? '' : `; ${pct(cell.ofArgon2)} of argon2`;
        return `${fmt(cell.signaturesPerSecond)} sig/s = ${pct(cell.ofSigning)}${argon2}`;
      });
      return `| ${label} | ${text.join(' | ')} |`;
    }),
  ];
}

const ROLE_NAMES: Record<(typeof THREAD_ROLES)[number], string> = { eventLoop: 'event loop', pool: 'libuv pool', worker: 'worker threads', other: 'other threads' };

function cpuRows(comparisons: Comparison[], pg: PostgresRuns | undefined): string[] {
  const series = comparisons.flatMap((c) => SIDES.map((side) => ({ label: c.label, server: SIDE_NAMES[side], samples: c.runs[side] })));
  if (pg) {
    series.push(
      { label: 'SSO code flow, c=16, on PostgreSQL', server: 'Gatehouse', samples: pg.gatehouse },
      { label: 'SSO code flow, c=16, on PostgreSQL', server: SIDE_NAMES.sameWork, samples: pg.sameWork },
    );
  }
  const part = (samples: Sample[], pick: (cpu: CpuPerOp) => number) => median(samples.flatMap((s) => (s.cpu ? [pick(s.cpu)] : [])));
  const rows = series
    .filter(({ samples }) => samples.some((s) => s.cpu))
    .map(({ label, server, samples }) => {
      const roles = THREAD_ROLES.map((role) => part(samples, (cpu) => cpu[role]));
      const total = part(samples, (cpu) => THREAD_ROLES.reduce((sum, role) => sum + cpu[role], 0));
      return `| ${label} | ${server} | ${fmt(medianOf(samples))} | ${roles.map(ms).join(' | ')} | ${ms(total)} | ${ms(part(samples, (cpu) => cpu.loadGenerator))} |`;
    });
  if (rows.length === 0) return ['No CPU figures in this run.'];
  return [`| scenario | server | ops/s | ${THREAD_ROLES.map((r) => ROLE_NAMES[r]).join(' | ')} | server total | load generator |`, `|${' --- |'.repeat(9)}`, ...rows];
}

function postgresRows(pg: PostgresRuns): string[] {
  const g = medianOf(pg.gatehouse);
  return [
    '| SSO c=16 | flows/s | ratio |',
    '| --- | --- | --- |',
    `| Gatehouse on PostgreSQL | ${fmt(g)} | |`,
    `| Gatehouse on SQLite | ${fmt(medianOf(pg.sqlite))} | PostgreSQL ÷ SQLite ${fmt(g / medianOf(pg.sqlite))}× |`,
    `| same-work peer on PostgreSQL (information) | ${fmt(medianOf(pg.sameWork))} | Gatehouse ÷ peer, both on PostgreSQL ${fmt(g / medianOf(pg.sameWork))}× |`,
  ];
}

function everyRun(c: Comparison): string[] {
  const count = Math.max(...SIDES.map((s) => c.runs[s].length));
  const cell = (sample: Sample | undefined) => (sample ? `${withUnit(sample.value, c.unit)}${sample.detail ? ` (${sample.detail})` : ''}` : '');
  return [
    `### ${c.label}`,
    '',
    '| run | Gatehouse | default peer | same-work peer |',
    '| --- | --- | --- | --- |',
    ...Array.from({ length: count }, (_, i) => `| ${i + 1} | ${SIDES.map((s) => cell(c.runs[s][i])).join(' | ')} |`),
    '',
  ];
}

export function markdown(input: ReportInput): string {
  const lines = [
    '# Gatehouse benchmark results',
    '',
    `Written by \`npm run bench\` on ${input.startedAt.toISOString()} (${Math.round(input.seconds)} s). Gatehouse (SQLite, \`synchronous=FULL\`,`,
    'JWT access tokens) against oidc-provider in two set-ups: the **default peer** (in-memory adapter, opaque access',
    'tokens) and the **same-work peer** (a durable SQLite adapter with `synchronous=FULL` and RFC 9068 JWT access tokens).',
    'Ratios are Gatehouse ÷ peer medians from runs that rotate between the three servers in this one process tree on',
    'loopback; larger is better for throughput, smaller for latency, start time and memory. The ceilings were measured',
    'in the same run, with the servers idle.',
    '',
    '## Machine and versions',
    '',
    ...machine(input),
    '',
    '## Ceilings measured in the same run',
    '',
    ...ceilingRows(input.ceilings),
    '',
    '## Targets',
    '',
    '| measure | value | target | |',
    '| --- | --- | --- | --- |',
    ...targetRows(input).map((row) => `| ${row.measure} | ${row.value} | ${row.target} | ${verdict(row.met)} |`),
    '',
    '## Summary',
    '',
    ...summaryRows(input.comparisons),
    '',
    ...(input.postgres ? ['## PostgreSQL', '', ...postgresRows(input.postgres), ''] : []),
    '## Share of the ceilings',
    '',
    `RS256 signatures per second each flow causes (${SIDES.map((s) => `${SIDE_NAMES[s]} ${SIGNATURES_PER_OP[s]}`).join(', ')} per`,
    `flow or grant), as a share of the multi-core OpenSSL ceiling (${fmt(input.ceilings.opensslMulti)}/s); full sign-ins also as a share of`,
    `the argon2 ceiling (${fmt(input.ceilings.argon2)}/s).`,
    '',
    ...shareRows(input),
    '',
    '## CPU per operation',
    '',
    'Milliseconds of CPU per completed operation (medians over the runs), from `/proc/<pid>/task/*/stat` of the server',
    "before and after each timed run (bench/cpu.ts); the load generator's from `process.cpuUsage()`.",
    '',
    ...cpuRows(input.comparisons, input.postgres),
    '',
    '## Every run',
    '',
    ...input.comparisons.flatMap(everyRun),
    ...(input.postgres
      ? [
          '### SSO c=16 on PostgreSQL',
          '',
          '| run | Gatehouse on PostgreSQL | Gatehouse on SQLite | same-work peer on PostgreSQL |',
          '| --- | --- | --- | --- |',
          ...input.postgres.gatehouse.map((s, i) => `| ${i + 1} | ${fmt(s.value)} | ${fmt(input.postgres?.sqlite[i]?.value ?? NaN)} | ${fmt(input.postgres?.sameWork[i]?.value ?? NaN)} |`),
          '',
        ]
      : []),
  ];
  const notes = path.join(packageRoot, 'bench', 'optimisations.md');
  if (existsSync(notes)) lines.push(readFileSync(notes, 'utf8').trim(), '');
  return lines.join('\n');
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Two horizontal bars per measure, Gatehouse's advantage over the same-work peer (dark) and over the default peer
 * (light): the ratio, inverted where smaller is better, with 1× and the issue's target (dashed) marked.
 */
export function chart(comparisons: Comparison[]): string {
  const bars = comparisons.flatMap((c) =>
    (['sameWork', 'peer'] as const).map((side) => {
      const r = ratioOf(c, side);
      const goal = GOALS[c.id]?.[side];
      return { label: c.label, side, advantage: c.higherIsBetter ? r : 1 / r, met: goal ? meets(r, goal) : undefined, goal: goal ? (goal.op === '>=' ? goal.ratio : 1 / goal.ratio) : null };
    }),
  );
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  const max = Math.max(2, ...bars.map((b) => finite(b.advantage)), ...bars.map((b) => b.goal ?? 0)) * 1.1;
  const left = 330;
  const width = 420;
  const barHeight = 13;
  const groupHeight = 2 * barHeight + 10;
  const height = 74 + comparisons.length * groupHeight;
  const x = (v: number) => left + (Math.min(v, max) / max) * width;
  // Dark: against the same-work peer; light: against the default peer. Green: target met; red: missed; grey: none.
  const colours = { sameWork: { met: '#2f7d4f', missed: '#b5472e', none: '#5a5a5a' }, peer: { met: '#8cc7a1', missed: '#e0a190', none: '#b9b9b9' } };
  const drawn = bars.map((bar, i) => {
    const group = Math.floor(i / 2);
    const y = 54 + group * groupHeight + (i % 2) * barHeight;
    const value = finite(bar.advantage);
    const fill = colours[bar.side][bar.met === undefined ? 'none' : bar.met ? 'met' : 'missed'];
    return [
      i % 2 === 0 ? `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${escape(bar.label)}</text>` : '',
      `<rect x="${left}" y="${y + 1}" width="${(x(value) - left).toFixed(1)}" height="${barHeight - 2}" fill="${fill}"/>`,
      // The figure after the bar, or after the target's mark when that is further right, so that neither hides it.
      `<text x="${(Math.max(x(value), bar.goal === null ? 0 : x(bar.goal)) + 4).toFixed(1)}" y="${y + 11}" font-size="10">${value.toFixed(2)}×</text>`,
      bar.goal === null ? '' : `<line x1="${x(bar.goal).toFixed(1)}" x2="${x(bar.goal).toFixed(1)}" y1="${y}" y2="${y + barHeight}" stroke="#222" stroke-dasharray="3 2"/>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 80}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="16" font-weight="bold">Gatehouse's advantage over oidc-provider (longer is better; dashed: the target)</text>`,
    `<text x="10" y="31" font-size="10">Upper bar: against the same-work peer (durable SQLite, JWT access tokens); lower, lighter bar: against the default peer (in memory).</text>`,
    `<text x="10" y="44" font-size="10">Green: the issue's target met; red: missed; grey: no target. Smaller-is-better measures are inverted (peer ÷ Gatehouse).</text>`,
    `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="50" y2="${height - 10}" stroke="#999"/>`,
    ...drawn,
    '</svg>',
    '',
  ].join('\n');
}
