// Issue 27's targets, checked against one run's medians and the ceilings measured in that run, and each flow
// scenario's share of the ceiling that bounds it. Pure functions of the results: the report renders them and
// test/bench/harness.test.ts checks them with made-up figures.
import type { Ceilings } from './ceilings.js';
import type { Sample } from './scenarios.js';

/** The three servers of every run: Gatehouse, the default peer and the same-work peer (bench/peer/). */
export type Side = 'gatehouse' | 'peer' | 'sameWork';
export const SIDES: readonly Side[] = ['gatehouse', 'peer', 'sameWork'];
export const SIDE_NAMES: Record<Side, string> = { gatehouse: 'Gatehouse', peer: 'default peer', sameWork: 'same-work peer' };

export interface Comparison {
  id: string;
  label: string;
  unit: string;
  /** Whether a larger value is better (throughput) or worse (latency, start time, memory). */
  higherIsBetter: boolean;
  runs: Record<Side, Sample[]>;
}

/** SSO c=16 with Gatehouse on PostgreSQL, on SQLite, and the same-work peer on PostgreSQL (information). */
export interface PostgresRuns {
  gatehouse: Sample[];
  sqlite: Sample[];
  sameWork: Sample[];
}

export interface Goal {
  op: '>=' | '<=';
  ratio: number;
}

export interface TargetRow {
  measure: string;
  value: string;
  target: string;
  /** undefined: not measured in this run (no PostgreSQL). */
  met: boolean | undefined;
}

/**
 * RS256 signatures per token response, so per SSO flow, full sign-in and refresh grant: the ID token and, where
 * access tokens are RFC 9068 JWTs, the access token. The default peer's access tokens are opaque.
 */
export const SIGNATURES_PER_OP: Record<Side, number> = { gatehouse: 2, peer: 1, sameWork: 2 };

/** The flow scenarios, each causing SIGNATURES_PER_OP signatures per operation. */
export const FLOW_IDS = ['sso-1', 'sso-16', 'signin-8', 'refresh-16'] as const;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export const medianOf = (samples: readonly Sample[]) => median(samples.map((s) => s.value));

/** Gatehouse's median ÷ the other side's median. */
export function ratioOf(c: Comparison, side: Exclude<Side, 'gatehouse'>): number {
  return medianOf(c.runs.gatehouse) / medianOf(c.runs[side]);
}

/** The issue's ratio targets against one peer, by scenario: the chart draws them, targetRows checks them. */
export const GOALS: Record<string, Partial<Record<Exclude<Side, 'gatehouse'>, Goal>>> = {
  'sso-16': { sameWork: { op: '>=', ratio: 2 }, peer: { op: '>=', ratio: 1 } },
  'sso-1': { sameWork: { op: '>=', ratio: 1.5 } },
  'refresh-16': { sameWork: { op: '>=', ratio: 1.5 }, peer: { op: '>=', ratio: 1 } },
  cold: { peer: { op: '<=', ratio: 0.75 } },
  'rss-idle': { peer: { op: '<=', ratio: 0.9 } },
};

function goal(id: string, side: Exclude<Side, 'gatehouse'>): Goal {
  const found = GOALS[id]?.[side];
  if (!found) throw new Error(`no goal for ${id} against ${side}`);
  return found;
}

export const meets = (value: number, goal: Goal) => (goal.op === '>=' ? value >= goal.ratio : value <= goal.ratio);
const times = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const percent = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)} %` : 'n/a');
const goalText = (goal: Goal, unit = '×') =>
  `${goal.op === '>=' ? '≥' : '≤'} ${unit === '%' ? `${Math.round(goal.ratio * 100)} %` : `${Number.isInteger(goal.ratio) ? goal.ratio.toFixed(1) : goal.ratio}×`}`;

/** The issue's targets table, row for row, in its order and words. */
export function targetRows(input: { comparisons: Comparison[]; ceilings: Ceilings; postgres?: PostgresRuns | undefined }): TargetRow[] {
  const byId = new Map(input.comparisons.map((c) => [c.id, c]));
  const ratio = (id: string, side: Exclude<Side, 'gatehouse'>) => {
    const c = byId.get(id);
    return c ? ratioOf(c, side) : NaN;
  };
  const gatehouse = (id: string) => medianOf(byId.get(id)?.runs.gatehouse ?? []);
  const rows: TargetRow[] = [];
  const single = (measure: string, value: number, goal: Goal, unit = '×') =>
    rows.push({ measure, value: unit === '%' ? percent(value) : times(value), target: goalText(goal, unit), met: meets(value, goal) });
  const pair = (measure: string, names: [string, string], values: [number, number], goals: [Goal, Goal]) =>
    rows.push({
      measure,
      value: `${names[0]} ${times(values[0])}, ${names[1]} ${times(values[1])}`,
      target: `${goalText(goals[0])}, ${goalText(goals[1])}`,
      met: meets(values[0], goals[0]) && meets(values[1], goals[1]),
    });

  single('SSO code flow c=16, against the same-work peer', ratio('sso-16', 'sameWork'), goal('sso-16', 'sameWork'));
  single('SSO code flow c=1, against the same-work peer', ratio('sso-1', 'sameWork'), goal('sso-1', 'sameWork'));
  single('Refresh grant c=16, against the same-work peer', ratio('refresh-16', 'sameWork'), goal('refresh-16', 'sameWork'));
  pair(
    'SSO c=16 and refresh c=16, against the default peer (Gatehouse durable, JWT access tokens)',
    ['SSO', 'refresh'],
    [ratio('sso-16', 'peer'), ratio('refresh-16', 'peer')],
    [goal('sso-16', 'peer'), goal('refresh-16', 'peer')],
  );
  single(
    'Refresh c=16: signatures per second ÷ the multi-core RS256 ceiling',
    (gatehouse('refresh-16') * SIGNATURES_PER_OP.gatehouse) / input.ceilings.opensslMulti,
    { op: '>=', ratio: 0.4 },
    '%',
  );
  single('Full sign-in c=8 ÷ the argon2 ceiling', gatehouse('signin-8') / input.ceilings.argon2, { op: '>=', ratio: 0.85 }, '%');
  single('Token-endpoint p99 under 8 concurrent sign-ins ÷ idle p99', gatehouse('p99-ratio'), { op: '<=', ratio: 3 });
  pair('Cold start, idle RSS (against the default peer)', ['cold start', 'idle RSS'], [ratio('cold', 'peer'), ratio('rss-idle', 'peer')], [goal('cold', 'peer'), goal('rss-idle', 'peer')]);
  const pg = input.postgres;
  const onPostgres = pg ? medianOf(pg.gatehouse) / medianOf(pg.sqlite) : NaN;
  if (pg) single('SSO c=16 on PostgreSQL ÷ on SQLite', onPostgres, { op: '>=', ratio: 0.8 });
  else rows.push({ measure: 'SSO c=16 on PostgreSQL ÷ on SQLite', value: 'not measured (no BENCH_DATABASE_URL or TEST_DATABASE_URL)', target: '≥ 0.8×', met: undefined });
  return rows;
}

export interface ShareCell {
  perSecond: number;
  signaturesPerSecond: number;
  /** signaturesPerSecond ÷ the multi-core OpenSSL ceiling. */
  ofSigning: number;
  /** Full sign-ins only: sign-ins per second ÷ the argon2 ceiling. */
  ofArgon2?: number;
}

/** Each flow scenario's signatures per second, as a share of the machine's multi-core RS256 ceiling, per side. */
export function shares(comparisons: Comparison[], ceilings: Ceilings): { id: string; label: string; cells: Record<Side, ShareCell | undefined> }[] {
  return comparisons
    .filter((c) => (FLOW_IDS as readonly string[]).includes(c.id))
    .map((c) => {
      const cells = {} as Record<Side, ShareCell | undefined>;
      for (const side of SIDES) {
        const perSecond = medianOf(c.runs[side]);
        if (!Number.isFinite(perSecond)) {
          cells[side] = undefined;
          continue;
        }
        const signaturesPerSecond = perSecond * SIGNATURES_PER_OP[side];
        cells[side] = { perSecond, signaturesPerSecond, ofSigning: signaturesPerSecond / ceilings.opensslMulti, ...(c.id === 'signin-8' ? { ofArgon2: perSecond / ceilings.argon2 } : {}) };
      }
      return { id: c.id, label: c.label, cells };
    });
}
