// The durable delivery queue (issue 26): webhooks and back-channel logouts are rows of the store's deliveries table,
// so a delivery outlives the process that queued it and any node may make its next attempt. One queue per process:
// every few seconds it claims the due deliveries (a lease of LEASE_MS, one conditional write per row: in a cluster
// each delivery is attempted by one node at a time), attempts them in parallel through the sender of their kind,
// and settles each outcome while it holds the lease: delivered; pending again after an exponential back-off
// (backoff.ts); or dead (the dead-letter state) after DELIVERY_MAX_ATTEMPTS attempts or a failure that trying
// again cannot mend (FINAL_FAILURES), audited `delivery.dead`. Delivery is at least once: a node that stops
// between a receiver's answer and the settlement leaves the delivery to be sent again once its lease lapses, with
// the same `webhook-id`, on which receivers deduplicate.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { metrics, type DeliveryOutcome } from '../metrics/metrics.js';
import type { DeliveryKind, DeliveryRecord, DeliverySettlement } from '../store/records.js';
import type { Store } from '../store/store.js';
import { retryDelayMs } from './backoff.js';
import { FINAL_FAILURES, type AttemptResult, type DeliverySender } from './sender.js';

/** How long a claim holds a delivery: far longer than an attempt (5 s), so a lease lapses only when its node stopped or hung. */
export const LEASE_MS = 60_000;
/** Deliveries claimed at once (and attempted in parallel). */
export const CLAIM_LIMIT = 20;
/** The longest wait between two polls; a smaller DELIVERY_RETRY_BASE polls as often as it retries. */
export const MAX_POLL_MS = 5_000;
/** Batches one poll works through while they come back full, before it yields to the next poll. */
const MAX_BATCHES_PER_POLL = 50;

/** The waits of the queue (its polls): tests drive them by hand. */
export interface Timers {
  /** Calls `fire` after `ms` unless the returned function is called first. Never holds a process open. */
  schedule(ms: number, fire: () => void): () => void;
}

export const systemTimers: Timers = {
  schedule(ms, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A delivery's id: the `webhook-id` receivers deduplicate on (the audit fan-out makes the same shape in SQL). */
export function newDeliveryId(): string {
  return `msg_${randomBytes(16).toString('hex')}`;
}

export interface DeliveryQueueOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: Config['delivery'];
  senders: DeliverySender[];
  /** This process's name on the leases it takes; random when absent. */
  owner?: string;
  timers?: Timers;
  /** In [0, 1): the back-off's jitter (Math.random when absent; tests pin it). */
  random?: () => number;
}

export class DeliveryQueue {
  readonly owner: string;
  private readonly senders: Map<DeliveryKind, DeliverySender>;
  private readonly timers: Timers;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  private cancelPoll: (() => void) | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private started = false;
  private closed = false;

  constructor(private readonly options: DeliveryQueueOptions) {
    this.owner = options.owner ?? `node-${randomBytes(8).toString('hex')}`;
    this.senders = new Map(options.senders.map((sender) => [sender.kind, sender]));
    this.timers = options.timers ?? systemTimers;
  }

  /** The wait between two polls: DELIVERY_RETRY_BASE, at most MAX_POLL_MS. */
  get pollIntervalMs(): number {
    return Math.min(MAX_POLL_MS, this.options.config.retryBaseSeconds * 1000);
  }

  /** Polls now (deliveries left by a stopped node or a previous run are due) and then every pollIntervalMs until close(). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.schedulePoll(0);
  }

  /** A poll soon, coalesced with one already running or scheduled; nothing until start(). */
  kick(): void {
    if (!this.started || this.closed) return;
    if (this.polling) this.pollAgain = true;
    else this.schedulePoll(0);
  }

  /**
   * Claims up to CLAIM_LIMIT due deliveries, attempts them in parallel and settles each; resolves with how many it
   * claimed, once every attempt is settled. Tests call it directly; start() calls it on a timer.
   */
  async runOnce(): Promise<number> {
    if (this.closed) return 0;
    const now = this.options.clock.now();
    const claimed = await this.options.store.deliveries.claimDue(this.owner, now, now + LEASE_MS, CLAIM_LIMIT);
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  /**
   * One attempt of a delivery this queue's owner holds the lease of (claimed, or enqueued with `lease: { owner:
   * queue.owner, … }` to be sent at once), settled before it resolves: the settled record, or null when nothing
   * was settled (the queue is closed, the lease was lost to another node, or the store failed: the delivery is
   * attempted again once its lease lapses). Never rejects.
   */
  attempt(delivery: DeliveryRecord): Promise<DeliveryRecord | null> {
    const work = this.attemptAndSettle(delivery).catch((error: unknown) => {
      this.options.logger.error({ err: error, delivery: delivery.id, kind: delivery.kind }, 'a delivery attempt failed unexpectedly; it is tried again once its lease lapses');
      return null;
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  /** Resolves once no attempt is in flight (the `idp` tool waits for its first attempts before it exits). */
  async idle(): Promise<void> {
    // Attempts time out (5 s) and are never retried in-process, so this loop ends; a bounded count for safety.
    for (let round = 0; round < 1000 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Stops polling and aborts the attempts in flight (their deliveries stay pending, for another node or the next
   * start); resolves once every attempt returned and was settled, so the store must be closed only after it.
   */
  async close(): Promise<void> {
    if (this.closed) return this.idle();
    this.closed = true;
    this.cancelPoll?.();
    this.cancelPoll = null;
    this.stopping.abort();
    await this.polling;
    await this.idle();
  }

  private schedulePoll(ms: number): void {
    this.cancelPoll?.();
    this.cancelPoll = this.timers.schedule(ms, () => {
      this.cancelPoll = null;
      void this.poll();
    });
  }

  private poll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        this.pollAgain = false;
        // A full batch means more may be due, and a kick() during the poll asks for another look: the next batch
        // at once, up to a bound, so a burst drains quickly without starving the rest of the process.
        for (let batch = 0; batch < MAX_BATCHES_PER_POLL && !this.closed; batch++) {
          if ((await this.runOnce()) < CLAIM_LIMIT && !this.takeKick()) break;
        }
      } catch (error) {
        this.options.logger.warn({ err: error }, 'claiming due deliveries failed; will try again');
      } finally {
        this.polling = null;
        if (!this.closed) this.schedulePoll(this.pollIntervalMs);
      }
    })();
    return this.polling;
  }

  /** Whether kick() asked for another round since the last call; clears the request. */
  private takeKick(): boolean {
    const requested = this.pollAgain;
    this.pollAgain = false;
    return requested;
  }

  private async attemptAndSettle(delivery: DeliveryRecord): Promise<DeliveryRecord | null> {
    if (this.closed) return null;
    const sender = this.senders.get(delivery.kind);
    if (!sender) {
      this.options.logger.error({ delivery: delivery.id, kind: delivery.kind }, 'no sender for this kind of delivery');
      return null;
    }
    let result: AttemptResult;
    try {
      result = await sender.send(delivery, this.stopping.signal);
    } catch (error) {
      // A bug, not the receiver's failure: logged, and tried again later like a failed connection.
      this.options.logger.error({ err: error, delivery: delivery.id, kind: delivery.kind }, 'a delivery sender failed unexpectedly');
      result = { delivered: false, reason: 'connection_failed' };
    }
    if (!result.delivered && this.stopping.signal.aborted) result = { delivered: false, reason: 'shutdown' };
    const now = this.options.clock.now();
    const { settlement, outcome } = this.judge(delivery, result, now);
    metrics.deliveryAttempt(delivery.kind, outcome);
    const settled = await this.options.store.deliveries.settle(delivery.id, this.owner, settlement, now);
    if (!settled) {
      this.options.logger.warn({ delivery: delivery.id, kind: delivery.kind }, 'a delivery was settled by another node (its lease had lapsed); this outcome is not recorded');
      return null;
    }
    if (settled.state === 'pending') {
      if (!result.delivered)
        this.options.logger.info({ delivery: settled.id, kind: settled.kind, attempts: settled.attempts, reason: result.reason, status: result.status }, 'a delivery failed; it will be retried');
      return settled;
    }
    if (settled.state === 'dead') await this.auditDead(settled, result, now);
    try {
      await sender.settled?.(settled, result);
    } catch (error) {
      this.options.logger.error({ err: error, delivery: settled.id, kind: settled.kind }, 'recording a settled delivery failed');
    }
    return settled;
  }

  /** The settlement of one attempt's result: delivered, dead, or pending again after a back-off. */
  private judge(delivery: DeliveryRecord, result: AttemptResult, now: number): { settlement: DeliverySettlement; outcome: DeliveryOutcome } {
    if (result.delivered) return { settlement: { state: 'delivered', status: result.status }, outcome: 'delivered' };
    const status = result.status ?? null;
    // Stopped mid-attempt: due again at once, for another node or the next start; a shutdown never kills a delivery.
    if (result.reason === 'shutdown') return { settlement: { state: 'pending', nextAttemptAt: now, status, error: 'shutdown' }, outcome: 'retry' };
    const attempts = delivery.attempts + 1;
    if (FINAL_FAILURES.has(result.reason) || attempts >= this.options.config.maxAttempts) {
      return { settlement: { state: 'dead', status, error: result.reason }, outcome: 'dead' };
    }
    const nextAttemptAt = now + retryDelayMs(attempts, this.options.config.retryBaseSeconds, this.options.random);
    return { settlement: { state: 'pending', nextAttemptAt, status, error: result.reason }, outcome: 'retry' };
  }

  /** `delivery.dead`: what died and why, never the receiver's URL (it may hold a secret) nor the body. */
  private async auditDead(delivery: DeliveryRecord, result: AttemptResult, now: number): Promise<void> {
    const target = delivery.webhookId ?? delivery.clientId;
    const details = {
      delivery_id: delivery.id,
      kind: delivery.kind,
      target,
      event_type: delivery.eventType,
      attempts: delivery.attempts,
      reason: result.delivered ? null : result.reason,
      ...(result.status === undefined ? {} : { status: result.status }),
    };
    this.options.logger.warn(details, 'a delivery is dead: no further attempt will be made');
    try {
      await this.options.store.audit.append({ at: now, type: 'delivery.dead', actor: 'system', subject: target, clientId: delivery.clientId, ip: null, outcome: 'failure', details });
    } catch (error) {
      this.options.logger.error({ err: error, delivery: delivery.id }, 'auditing a dead delivery failed');
    }
  }
}
