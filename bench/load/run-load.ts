// Closed-loop load: `concurrency` workers, each repeating its step until the time is up. Only steps that
// finish in time count; latencies are kept whole (a run is at most a few hundred thousand steps).

export interface LoadResult {
  completed: number;
  failed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError: string | null;
}

export interface LoadPlan<S> {
  concurrency: number;
  durationMs: number;
  /** Per worker, untimed: a signed-in user, a first refresh token. */
  setup: (worker: number) => Promise<S>;
  /** One timed unit of work; may return the worker's next state (a rotated refresh token). */
  step: (state: S) => Promise<S | void>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export async function runLoad<S>(plan: LoadPlan<S>): Promise<LoadResult> {
  const states = await Promise.all(Array.from({ length: plan.concurrency }, (_, i) => plan.setup(i)));
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const end = started + plan.durationMs;
  await Promise.all(
    states.map(async (initial) => {
      let state = initial;
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          state = (await plan.step(state)) ?? state;
          const t1 = performance.now();
          if (t1 <= end) latencies.push(t1 - t0);
        } catch (error) {
          failed++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const seconds = plan.durationMs / 1000;
  latencies.sort((a, b) => a - b);
  return { completed: latencies.length, failed, perSecond: latencies.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), firstError };
}
