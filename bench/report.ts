// The benchmark's report: bench/results.md (machine, versions, every run, medians, ratios against the targets)
// and docs/bench-ratios.svg (one bar per ratio, drawn so that longer is always better for Gatehouse).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';

export interface Comparison {
  id: string;
  label: string;
  unit: string;
  /** Whether a larger value is better (throughput) or worse (latency, start time, memory). */
  higherIsBetter: boolean;
  runs: { gatehouse: number[]; peer: number[] };
  /** Extra per-run detail shown beside the numbers (p50/p99). */
  detail?: { gatehouse: string[]; peer: string[] };
  /** The issue's target for Gatehouse ÷ peer, e.g. ≥ 1.5 or ≤ 0.75. */
  target?: { op: '>=' | '<='; ratio: number };
  peerName: string;
}

export interface Ceiling {
  label: string;
  value: string;
  verdict: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function ratioOf(c: Comparison): number {
  return median(c.runs.gatehouse) / median(c.runs.peer);
}

function met(c: Comparison): string {
  if (!c.target) return '';
  const r = ratioOf(c);
  const ok = c.target.op === '>=' ? r >= c.target.ratio : r <= c.target.ratio;
  return `${c.target.op === '>=' ? '≥' : '≤'} ${c.target.ratio}× ${ok ? '✅ met' : '❌ missed'}`;
}

const fmt = (n: number) => (Number.isNaN(n) ? 'n/a' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function version(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export function markdown(input: { comparisons: Comparison[]; ceilings: Ceiling[]; settings: string; startedAt: Date; seconds: number }): string {
  const cpu = os.cpus();
  const lines = [
    '# Gatehouse benchmark results',
    '',
    `Written by \`npm run bench\` on ${input.startedAt.toISOString()} (${Math.round(input.seconds)} s). Ratios are Gatehouse ÷ oidc-provider`,
    'medians from alternating runs in this one process tree on loopback; larger is better for throughput, smaller for',
    'latency, start time and memory.',
    '',
    '## Machine and versions',
    '',
    `- ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `- Node ${process.versions.node}, OpenSSL ${process.versions.openssl}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
    `- gatehouse ${version('../')}, express ${version('express')}, jose ${version('jose')}, argon2 ${version('argon2')}, better-sqlite3 ${version('better-sqlite3')}, pg ${version('pg')}`,
    `- oidc-provider ${version('oidc-provider')}, koa ${version('koa')}; load: autocannon ${version('autocannon')} and bench/load/ (node:http, keep-alive)`,
    `- ${input.settings}`,
    '',
    '## Summary',
    '',
    '| measure | Gatehouse | peer | ratio | target |',
    '| --- | --- | --- | --- | --- |',
    ...input.comparisons.map((c) => `| ${c.label} | ${fmt(median(c.runs.gatehouse))} ${c.unit} | ${fmt(median(c.runs.peer))} ${c.unit} (${c.peerName}) | ${fmt(ratioOf(c))}× | ${met(c)} |`),
    '',
    '## Ceilings measured in the same run',
    '',
    '| ceiling | value | what reaches it |',
    '| --- | --- | --- |',
    ...input.ceilings.map((c) => `| ${c.label} | ${c.value} | ${c.verdict} |`),
    '',
    '## Every run',
    '',
    ...input.comparisons.flatMap((c) => [
      `### ${c.label}`,
      '',
      '| run | Gatehouse | peer |',
      '| --- | --- | --- |',
      ...c.runs.gatehouse.map(
        (g, i) =>
          `| ${i + 1} | ${fmt(g)} ${c.unit}${c.detail ? ` (${c.detail.gatehouse[i] ?? ''})` : ''} | ${fmt(c.runs.peer[i] ?? NaN)} ${c.unit}${c.detail ? ` (${c.detail.peer[i] ?? ''})` : ''} |`,
      ),
      '',
    ]),
  ];
  const notes = path.join(packageRoot, 'bench', 'optimisations.md');
  if (existsSync(notes)) lines.push(readFileSync(notes, 'utf8').trim(), '');
  return lines.join('\n');
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Horizontal bars of Gatehouse's advantage over oidc-provider (ratio, inverted where smaller is better), with 1×
 * and the target marked. Only comparisons with oidc-provider belong here.
 */
export function chart(comparisons: Comparison[]): string {
  const rows = comparisons.map((c) => {
    const r = ratioOf(c);
    const advantage = c.higherIsBetter ? r : 1 / r;
    const goal = c.target ? (c.target.op === '>=' ? c.target.ratio : 1 / c.target.ratio) : null;
    return { label: c.label, advantage, goal };
  });
  const max = Math.max(2, ...rows.map((row) => (Number.isFinite(row.advantage) ? row.advantage : 0)), ...rows.map((row) => row.goal ?? 0)) * 1.1;
  const left = 330;
  const width = 420;
  const rowHeight = 26;
  const height = 50 + rows.length * rowHeight;
  const x = (v: number) => left + (Math.min(v, max) / max) * width;
  const bars = rows.map((row, i) => {
    const y = 30 + i * rowHeight;
    const value = Number.isFinite(row.advantage) ? row.advantage : 0;
    const good = row.goal === null || value >= row.goal;
    return [
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}</text>`,
      // Green: target met; red: missed; grey: no target for this ratio.
      `<rect x="${left}" y="${y + 3}" width="${(x(value) - left).toFixed(1)}" height="16" fill="${row.goal === null ? '#7a7a7a' : good ? '#2f7d4f' : '#b5472e'}"/>`,
      `<text x="${(x(value) + 4).toFixed(1)}" y="${y + 15}">${value.toFixed(2)}×</text>`,
      row.goal === null ? '' : `<line x1="${x(row.goal).toFixed(1)}" x2="${x(row.goal).toFixed(1)}" y1="${y}" y2="${y + 22}" stroke="#222" stroke-dasharray="3 2"/>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 80}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${left}" y="16" font-weight="bold">Gatehouse's advantage over oidc-provider (longer is better; dashed: target)</text>`,
    `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="24" y2="${height - 10}" stroke="#999"/>`,
    ...bars,
    '</svg>',
    '',
  ].join('\n');
}
