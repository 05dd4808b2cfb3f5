// Back-Channel Logout 1.0 §2.5: tells each client that received tokens in an ended session, through the durable
// delivery queue (src/delivery/queue.ts, issue 26). notify() writes one `backchannel_logout` delivery per client
// with a back-channel logout URI, leased to this process's queue, and makes the first attempts at once; the
// person's logout waits only for those, never longer than firstRoundWaitMs. Every later attempt is the queue's:
// durable (a restart loses nothing), on any node, with exponential back-off, until delivered or dead. What one
// attempt does (the address rules, the logout token, the audit) is src/delivery/backchannel-sender.ts.
//
// Sessions that expire (or idle out) are told too (src/logout/expired-sessions.ts): those deliveries are queued
// without a first attempt here, so that a housekeeping run over many sessions sends at the queue's own pace.
import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import type { LogoutSubject } from '../delivery/backchannel-sender.js';
import { LEASE_MS, newDeliveryId, systemTimers, type Timers } from '../delivery/queue.js';
import type { Logger } from '../logger.js';
import type { ClientRecord, DeliveryRecord, NewDelivery } from '../store/records.js';
import type { Store } from '../store/store.js';

export type { LogoutSubject } from '../delivery/backchannel-sender.js';
// The resolver's types, where the back-channel tests have always found them.
export type { ResolvedAddress, Resolver } from '../http/outbound-request.js';

export interface BackchannelOptions {
  /** The longest a logout waits for the first attempts. */
  firstRoundWaitMs: number;
  /** How long a first attempt's lease lasts: after it, a delivery this process failed to settle (it stopped) is any node's. */
  leaseMs: number;
}

export const DEFAULT_BACKCHANNEL_OPTIONS: BackchannelOptions = { firstRoundWaitMs: 2000, leaseMs: LEASE_MS };

// The first-round wait uses the queue's timers (tests drive them by hand); re-exported where the back-channel tests find them.
export { systemTimers, type Timers } from '../delivery/queue.js';

/** What this needs of the delivery queue (DeliveryQueue, src/delivery/queue.ts). */
export interface LogoutQueue {
  /** This process's lease owner. */
  readonly owner: string;
  /** Attempts a delivery this owner leased; resolves once it is settled (null: not settled, e.g. at shutdown). Never rejects. */
  attempt(delivery: DeliveryRecord): Promise<DeliveryRecord | null>;
  /** Runs the queue soon (deliveries just queued are due). */
  kick(): void;
}

export interface BackchannelDependencies {
  store: Store;
  clock: Clock;
  queue: LogoutQueue;
  logger?: Logger;
  timers?: Timers;
}

/**
 * How notify() goes about it: `wait` (first attempts now, the caller waits for them at most firstRoundWaitMs),
 * `background` (first attempts now, the caller does not wait for them: a new sign-in must not wait on the
 * previous session's clients), `queued` (no attempt here: the queue sends when it runs, at its pace).
 * In every mode the deliveries are written before notify() resolves.
 */
export type NotifyMode = 'wait' | 'background' | 'queued';

/** Resolves after `ms`, on `signal`, or on cancel(), which also drops the timer and the listener at once. */
function sleep(timers: Timers, ms: number, signal: AbortSignal): { done: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    let cancelTimer = () => {};
    const finish = () => {
      cancelTimer();
      signal.removeEventListener('abort', finish);
      resolve();
    };
    cancelTimer = timers.schedule(ms, finish);
    signal.addEventListener('abort', finish, { once: true });
    cancel = finish;
  });
  return { done, cancel };
}

export class BackchannelLogout {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  private readonly timers: Timers;

  constructor(
    private readonly deps: BackchannelDependencies,
    private readonly options: BackchannelOptions = DEFAULT_BACKCHANNEL_OPTIONS,
  ) {
    // Every waiting logout listens here, and each removes its listener when it ends: many at once (a busy
    // server, a user with many sessions) is load, not the leak Node warns of after 10.
    setMaxListeners(0, this.stopping.signal);
    this.timers = deps.timers ?? systemTimers;
  }

  /**
   * Notifies the clients of an ended session (or, with `sid` null, of the person's every session with them).
   * Resolves once the deliveries are written and, in mode `wait`, every first attempt is settled or
   * `firstRoundWaitMs` passed, whichever is first. Never rejects: the session has ended whatever happens here.
   */
  async notify(subject: LogoutSubject, clients: ClientRecord[], mode: NotifyMode = 'wait'): Promise<void> {
    const targets = clients.filter((client) => client.backchannelLogoutUri !== null);
    if (targets.length === 0) return;
    let queued: DeliveryRecord[];
    try {
      queued = await this.enqueue(subject, targets, mode !== 'queued');
    } catch (error) {
      this.deps.logger?.error({ err: error, clients: targets.map((client) => client.clientId) }, 'back-channel logouts could not be queued');
      return;
    }
    if (mode === 'queued') {
      this.deps.queue.kick();
      return;
    }
    const firstRound = Promise.all(queued.map((delivery) => this.track(this.deps.queue.attempt(delivery))));
    if (mode === 'background') return;
    const wait = sleep(this.timers, this.options.firstRoundWaitMs, this.stopping.signal);
    try {
      await Promise.race([firstRound, wait.done]);
    } finally {
      wait.cancel();
    }
  }

  /** Waits for the first attempts still running (the `idp` tool does, before it exits); retries are the queue's. */
  async drain(): Promise<void> {
    if (this.pending.size === 0) return;
    // Awaiting a promise holds nothing open: without this handle a process with nothing else to do could exit
    // in the middle of an attempt.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Stops every logout's wait at once (server shutdown). The attempts themselves are the queue's: its close()
   * aborts them, and what was not delivered stays pending for another node or the next start.
   */
  close(): Promise<void> {
    this.stopping.abort();
    return Promise.resolve();
  }

  private async enqueue(subject: LogoutSubject, clients: ClientRecord[], leased: boolean): Promise<DeliveryRecord[]> {
    const now = this.deps.clock.now();
    const payload = JSON.stringify({ userId: subject.userId, sid: subject.sid });
    const lease = leased ? { lease: { owner: this.deps.queue.owner, until: now + this.options.leaseMs } } : {};
    const deliveries: NewDelivery[] = clients.map((client) => ({
      id: newDeliveryId(),
      kind: 'backchannel_logout',
      webhookId: null,
      clientId: client.clientId,
      eventId: null,
      eventType: 'logout',
      payload,
      nextAttemptAt: now,
      ...lease,
    }));
    return this.deps.store.deliveries.enqueue(deliveries, now);
  }

  private track<T>(attempt: Promise<T>): Promise<T | null> {
    const settled = attempt.catch((error: unknown) => {
      this.deps.logger?.error({ err: error }, 'back-channel logout failed unexpectedly');
      return null;
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return settled;
  }
}
