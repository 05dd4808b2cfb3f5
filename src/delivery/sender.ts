// What the delivery queue (src/delivery/queue.ts) asks of each kind of delivery: one attempt, its outcome, and a
// word once a delivery is settled for good. Webhooks (webhook-sender.ts) and back-channel logout
// (backchannel-sender.ts) are the two kinds.
import type { DeliveryKind, DeliveryRecord } from '../store/records.js';

/**
 * Why an attempt failed, coarse on purpose (never the network's error text): `timeout`, `connection_failed` (no
 * connection or no HTTP answer), `http_status` (an answer other than 2xx, its status alongside), `refused_address`
 * (a special-purpose address: not tried, and not retried), `gone` (what it was for no longer exists: the
 * endpoint or client was deleted or disabled, not retried), `shutdown` (the process stopped during the attempt).
 */
export type FailureReason = 'timeout' | 'connection_failed' | 'http_status' | 'refused_address' | 'gone' | 'shutdown';

export type AttemptResult = { delivered: true; status: number } | { delivered: false; reason: FailureReason; status?: number };

/** Failures that trying again cannot mend: the delivery goes dead at once. */
export const FINAL_FAILURES: ReadonlySet<FailureReason> = new Set(['refused_address', 'gone']);

export interface DeliverySender {
  readonly kind: DeliveryKind;
  /** One attempt; never throws for a failure of the receiver (only for a bug). `signal` aborts it (shutdown). */
  send(delivery: DeliveryRecord, signal: AbortSignal): Promise<AttemptResult>;
  /** Told once a delivery is delivered or dead (the back-channel sender audits it, as before issue 26). */
  settled?(delivery: DeliveryRecord, result: AttemptResult): Promise<void>;
}
