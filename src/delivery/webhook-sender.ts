// One attempt of a webhook delivery for the delivery queue (queue.ts): the audit event as JSON, in the Standard
// Webhooks payload shape ({type, timestamp, data}), POSTed to the endpoint's URL as it is configured now, signed
// with its secret (webhook-signature.ts). A 2xx answer is delivered; anything else is a failure the queue retries
// with back-off. A redirect is not followed (the body would go where the administrator did not point it), and the
// answer's body is never read.
//
// The URL is an administrator's choice and the request leaves from inside the organisation's network: as for a
// client's back-channel logout URI, the POST follows the outbound rules of outbound-post.ts (outside development,
// ALLOW_PRIVATE_CLIENT_URLS, special-purpose addresses are refused at each attempt; DNS rebinding safe).
import type { SecretBox } from '../auth/secret-box.js';
import type { Clock } from '../clock.js';
import type { Resolver } from '../http/outbound-request.js';
import type { AuditEventRecord, DeliveryRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { postOnce } from './outbound-post.js';
import type { AttemptResult, DeliverySender } from './sender.js';
import { webhookHeaders, webhookSecretAad } from './webhook-signature.js';

/** The longest one attempt waits for the receiver's answer. */
export const WEBHOOK_ATTEMPT_TIMEOUT_MS = 5_000;

export interface WebhookSenderDependencies {
  store: Store;
  clock: Clock;
  /** Opens the endpoints' sealed secrets (src/auth/secret-box.ts). */
  secretBox: () => Promise<SecretBox>;
  /** config.allowPrivateClientUrls: whether endpoints may be on special-purpose addresses. */
  allowPrivateAddresses: boolean;
  /** Name resolution for the endpoints' hosts; the system's when absent (tests inject one). */
  resolve?: Resolver;
  /** Per attempt; WEBHOOK_ATTEMPT_TIMEOUT_MS when absent. */
  timeoutMs?: number;
}

/**
 * The request body of an event: the Standard Webhooks payload shape, `type` and `timestamp` (the event's time)
 * at the top and the audit event itself under `data`. The same bytes at every attempt.
 */
export function webhookBody(event: AuditEventRecord): string {
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: {
      event_id: event.id,
      at: new Date(event.at).toISOString(),
      type: event.type,
      actor: event.actor,
      subject: event.subject,
      client_id: event.clientId,
      ip: event.ip,
      outcome: event.outcome,
      details: event.details,
    },
  });
}

export class WebhookSender implements DeliverySender {
  readonly kind = 'webhook' as const;

  constructor(private readonly deps: WebhookSenderDependencies) {}

  async send(delivery: DeliveryRecord, signal: AbortSignal): Promise<AttemptResult> {
    const webhook = delivery.webhookId === null ? null : await this.deps.store.webhooks.findById(delivery.webhookId);
    // Deleted endpoints take their deliveries with them; a disabled one's are not sent (redeliver them once enabled).
    if (!webhook?.enabled || delivery.eventId === null) return { delivered: false, reason: 'gone' };
    const event = await this.deps.store.audit.findById(delivery.eventId);
    if (!event) return { delivered: false, reason: 'gone' };
    const secret = (await this.deps.secretBox()).open(webhook.secretSealed, webhookSecretAad(webhook.id));
    const body = webhookBody(event);
    const headers = webhookHeaders(secret, delivery.id, Math.floor(this.deps.clock.now() / 1000), body);
    return postOnce({
      url: webhook.url,
      headers,
      body,
      addresses: { allowPrivateAddresses: this.deps.allowPrivateAddresses, resolve: this.deps.resolve },
      timeoutMs: this.deps.timeoutMs ?? WEBHOOK_ATTEMPT_TIMEOUT_MS,
      signal,
      accepts: (status) => status >= 200 && status < 300,
    });
  }
}
