// CPU per operation, per thread role: a server's threads read from /proc/<pid>/task/*/stat before and after a
// measured run (utime + stime, fields 14 and 15 of proc(5), in clock ticks of `getconf CLK_TCK`), and the load
// generator's own CPU from process.cpuUsage(). Divided by the operations completed, it says where each
// operation's milliseconds go: the event loop, libuv's thread pool (argon2, async crypto), worker threads
// (Gatehouse's SQLite writer), and the rest (V8's GC and compiler helpers, Node's own threads).
//
// Node 20's threads are all named "node" in /proc/<pid>/task/<tid>/comm (libuv names its pool threads
// "libuv-worker" only from libuv 1.50, Node 23), so where comm does not tell, a thread's role is read from what
// it does when idle (measured on Node 20.20, x64):
// - tid == pid is the event loop (proc(5): the thread group leader).
// - Node's platform threads (V8's GC/compiler workers, the delayed-task scheduler, the inspector's signal
//   thread) block signals (SigBlk in /proc/<pid>/task/<tid>/status is not zero): Node blocks them there so
//   that signals reach the event loop.
// - A worker_threads Worker runs an event loop of its own, so when idle it waits in epoll_pwait; a libuv pool
//   thread waits on a condition variable, in futex (/proc/<pid>/task/<tid>/syscall, first field).
// The roles are read before and after the run (both idle moments); a thread busy at both is counted as "other".
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export type ThreadRole = 'eventLoop' | 'pool' | 'worker' | 'other';
export const THREAD_ROLES: readonly ThreadRole[] = ['eventLoop', 'pool', 'worker', 'other'];

export interface ThreadSample {
  tid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** undefined when the thread was busy, so its idle wait could not be seen. */
  role: ThreadRole | undefined;
}

export interface CpuSnapshot {
  pid: number;
  threads: Map<number, ThreadSample>;
  /** The load generator (this process), from process.cpuUsage(), in µs. */
  self: NodeJS.CpuUsage;
}

/** Milliseconds of CPU per completed operation, per role; ops is what they were divided by. */
export interface CpuPerOp {
  ops: number;
  eventLoop: number;
  pool: number;
  worker: number;
  other: number;
  /** The load generator's own CPU per operation: it shares the machine with the server. */
  loadGenerator: number;
}

let ticksPerSecond: number | undefined;
/** `getconf CLK_TCK` (proc(5): times in /proc/<pid>/stat are in these units); 100 on Linux almost everywhere. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the thread exited between the listing and the read
  }
}

/** utime + stime of one /proc stat line; the fields after the command name, which may hold spaces and ")". */
export function ticksOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "(comm)": state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
}

// System call numbers of the idle waits (linux/arch/*/syscall tables).
const IDLE_CALLS: Record<string, { futex: number[]; epoll: number[] }> = {
  x64: { futex: [202], epoll: [232, 281, 441] },
  arm64: { futex: [98], epoll: [22, 441] },
};

function roleOf(pid: number, tid: number, comm: string): ThreadRole | undefined {
  if (tid === pid) return 'eventLoop';
  if (comm === 'libuv-worker') return 'pool';
  const status = read(`/proc/${pid}/task/${tid}/status`) ?? '';
  const blocked = /SigBlk:\s+([0-9a-f]+)/.exec(status)?.[1];
  if (blocked !== undefined && /[1-9a-f]/.test(blocked)) return 'other';
  const call = Number((read(`/proc/${pid}/task/${tid}/syscall`) ?? '').split(' ')[0]);
  const calls = IDLE_CALLS[process.arch];
  if (!calls || Number.isNaN(call)) return undefined; // "running", or not readable
  if (calls.epoll.includes(call)) return 'worker';
  if (calls.futex.includes(call)) return 'pool';
  return undefined;
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  const threads = new Map<number, ThreadSample>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // the process has exited: no threads
  }
  for (const name of tids) {
    const tid = Number(name);
    const stat = read(`/proc/${pid}/task/${tid}/stat`);
    if (stat === undefined) continue;
    const comm = (read(`/proc/${pid}/task/${tid}/comm`) ?? '').trim();
    threads.set(tid, { tid, comm, ticks: ticksOfStat(stat), role: roleOf(pid, tid, comm) });
  }
  return { pid, threads, self: process.cpuUsage() };
}

/** Per role, the CPU ticks used between two snapshots of one process; threads born in between count from 0. */
export function ticksByRole(before: CpuSnapshot, after: CpuSnapshot): Record<ThreadRole, number> {
  const out: Record<ThreadRole, number> = { eventLoop: 0, pool: 0, worker: 0, other: 0 };
  for (const [tid, now] of after.threads) {
    const then = before.threads.get(tid);
    const role = then?.role ?? now.role ?? 'other';
    out[role] += Math.max(0, now.ticks - (then?.ticks ?? 0));
  }
  return out;
}

export function cpuPerOp(before: CpuSnapshot, after: CpuSnapshot, ops: number): CpuPerOp {
  const msPerTick = 1000 / clockTicksPerSecond();
  const ticks = ticksByRole(before, after);
  const per = (ms: number) => (ops > 0 ? ms / ops : NaN);
  const selfUs = after.self.user - before.self.user + (after.self.system - before.self.system);
  return {
    ops,
    eventLoop: per(ticks.eventLoop * msPerTick),
    pool: per(ticks.pool * msPerTick),
    worker: per(ticks.worker * msPerTick),
    other: per(ticks.other * msPerTick),
    loadGenerator: per(selfUs / 1000),
  };
}
