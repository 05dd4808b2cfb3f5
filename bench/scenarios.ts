// The measured scenarios of the issue, each a function of a running target. Flows are verified end to end
// (bench/load/flows.ts); a failed step counts as a failure and fails the scenario rather than skewing it. The
// flow scenarios also measure the server's CPU per operation (bench/cpu.ts) over the timed part of the run.
import { readFileSync } from 'node:fs';
import { cpuPerOp, cpuSnapshot, type CpuPerOp, type CpuSnapshot } from './cpu.js';
import { VirtualUser } from './load/http-client.js';
import { prepareFlows, refreshFlow, signInFlow, ssoFlow, type FlowContext } from './load/flows.js';
import { runLoad, type LoadPlan, type LoadResult } from './load/run-load.js';
import { requestsPerSecond } from './load/single-endpoint.js';
import type { Target } from './target.js';

export interface Sample {
  value: number;
  detail?: string;
  /** The server's CPU (and the load generator's) per completed operation, for the flow scenarios. */
  cpu?: CpuPerOp;
}

function checked(result: LoadResult, what: string): LoadResult {
  if (result.failed > 0) throw new Error(`${what}: ${result.failed} failed (first: ${result.firstError})`);
  if (result.completed === 0) throw new Error(`${what}: nothing completed in time`);
  return result;
}

const latency = (r: LoadResult) => `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`;

/**
 * runLoad with the server's threads read once every worker is set up (the server idle, nothing timed yet) and
 * again once every step has returned. The steps that end after the time is up are not in the rate, but their
 * CPU is in the snapshot, so the CPU is divided by every completed step.
 */
async function measuredLoad<S>(target: Target, plan: LoadPlan<S>): Promise<{ result: LoadResult; cpu?: CpuPerOp }> {
  const pid = target.process.pid;
  let ready = 0;
  let ops = 0;
  let before: CpuSnapshot | undefined;
  const result = await runLoad({
    ...plan,
    setup: async (worker) => {
      const state = await plan.setup(worker);
      if (++ready === plan.concurrency && pid !== undefined) before = cpuSnapshot(pid);
      return state;
    },
    step: async (state) => {
      const next = await plan.step(state);
      ops++;
      return next;
    },
  });
  if (pid === undefined || !before) return { result };
  return { result, cpu: cpuPerOp(before, cpuSnapshot(pid), ops) };
}

async function flowSample<S>(target: Target, what: string, plan: LoadPlan<S>): Promise<Sample> {
  const { result, cpu } = await measuredLoad(target, plan);
  checked(result, what);
  return { value: result.perSecond, detail: latency(result), ...(cpu ? { cpu } : {}) };
}

export async function discovery(target: Target, durationMs: number): Promise<Sample> {
  return { value: await requestsPerSecond(`${target.issuer}/.well-known/openid-configuration`, Math.max(1, Math.round(durationMs / 1000))) };
}

export async function jwks(target: Target, durationMs: number): Promise<Sample> {
  const ctx = await contextOf(target);
  return { value: await requestsPerSecond(ctx.jwksUri, Math.max(1, Math.round(durationMs / 1000))) };
}

const contexts = new WeakMap<Target, Promise<FlowContext>>();
/** Each target's endpoints and keys, discovered once. */
function contextOf(target: Target): Promise<FlowContext> {
  let ctx = contexts.get(target);
  if (!ctx) contexts.set(target, (ctx = prepareFlows(target)));
  return ctx;
}

/** A session exists: authorization request → code → token exchange, ID token verified. */
export async function sso(target: Target, durationMs: number, concurrency: number): Promise<Sample> {
  const ctx = await contextOf(target);
  return flowSample(target, `SSO c=${concurrency}`, {
    concurrency,
    durationMs,
    setup: async () => {
      const vu = new VirtualUser();
      await signInFlow(vu, ctx, 'openid email');
      return vu;
    },
    step: async (vu) => {
      await ssoFlow(vu, ctx);
    },
  });
}

/** A new browser each time: the login form, the password check, the code, the tokens. */
export async function signIn(target: Target, durationMs: number, concurrency: number): Promise<Sample> {
  const ctx = await contextOf(target);
  return flowSample(target, `sign-in c=${concurrency}`, {
    concurrency,
    durationMs,
    setup: async () => undefined,
    step: async () => {
      await signInFlow(new VirtualUser(), ctx, 'openid email');
    },
  });
}

function refreshPlan(ctx: FlowContext, durationMs: number, concurrency: number): LoadPlan<{ vu: VirtualUser; token: string }> {
  return {
    concurrency,
    durationMs,
    setup: async () => {
      const vu = new VirtualUser();
      const tokens = await signInFlow(vu, ctx);
      if (!tokens.refreshToken) throw new Error('the sign-in returned no refresh token');
      return { vu, token: tokens.refreshToken };
    },
    step: async ({ vu, token }) => ({ vu, token: await refreshFlow(vu, ctx, token) }),
  };
}

async function refreshLoad(ctx: FlowContext, durationMs: number, concurrency: number): Promise<LoadResult> {
  return checked(await runLoad(refreshPlan(ctx, durationMs, concurrency)), `refresh c=${concurrency}`);
}

export async function refresh(target: Target, durationMs: number, concurrency: number): Promise<Sample> {
  return flowSample(target, `refresh c=${concurrency}`, refreshPlan(await contextOf(target), durationMs, concurrency));
}

/** Token-endpoint p99 (refresh grants, one at a time) while 8 sign-ins run, divided by its p99 without them. */
export async function tokenP99UnderSignIns(target: Target, durationMs: number): Promise<Sample> {
  const ctx = await contextOf(target);
  const idle = await refreshLoad(ctx, durationMs, 1);
  let stop = false;
  const background = Array.from({ length: 8 }, async () => {
    while (!stop) await signInFlow(new VirtualUser(), ctx, 'openid email');
  });
  let busy: LoadResult;
  try {
    // Let the sign-ins fill the thread pool first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    busy = await refreshLoad(ctx, durationMs, 1);
  } finally {
    stop = true;
    await Promise.all(background);
  }
  return { value: busy.p99Ms / idle.p99Ms, detail: `idle p99 ${idle.p99Ms.toFixed(1)} ms, busy p99 ${busy.p99Ms.toFixed(1)} ms` };
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = readProc(pid);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function readProc(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
