// "Redeliver" (issue 26): an administrator sends a delivered or dead delivery again, from a webhook endpoint's
// delivery log (admin screens, `idp webhook redeliver`) or a client's back-channel logout log. The one rule both
// logs use: the delivery goes back to pending, due now, its attempts kept (one more failure sends a dead delivery
// back to dead, since it has used its attempts), and the running servers' queues pick it up at their next poll.
// Audited `delivery.redelivered`.
import { ConflictError, NotFoundError } from '../errors.js';
import type { DeliveryKind, DeliveryRecord } from '../store/records.js';
import type { ManageContext } from './users.js';

/** What the delivery must belong to: a form about one endpoint or client cannot redeliver another's. */
export interface RedeliveryScope {
  kind?: DeliveryKind;
  webhookId?: string;
  clientId?: string;
}

function belongs(delivery: DeliveryRecord, scope: RedeliveryScope): boolean {
  return (
    (scope.kind === undefined || delivery.kind === scope.kind) &&
    (scope.webhookId === undefined || delivery.webhookId === scope.webhookId) &&
    (scope.clientId === undefined || delivery.clientId === scope.clientId)
  );
}

/**
 * Sends a delivered or dead delivery again: NotFoundError when there is none (or it is not in `scope`: another
 * endpoint's id is as unknown as a made-up one), ConflictError while it is still pending; nothing written then.
 */
export async function redeliverDelivery(ctx: Pick<ManageContext, 'store' | 'clock' | 'actor' | 'ip'>, id: string, scope: RedeliveryScope = {}): Promise<DeliveryRecord> {
  const found = await ctx.store.deliveries.findById(id);
  if (!found || !belongs(found, scope)) throw new NotFoundError(`no delivery ${JSON.stringify(id)}`);
  const now = ctx.clock.now();
  // One conditional write: of two administrators pressing the button together, one redelivers, one is told.
  const redelivered = await ctx.store.deliveries.redeliver(id, now);
  if (!redelivered) throw new ConflictError('the delivery is still pending: it will be attempted again without being asked');
  const target = redelivered.webhookId ?? redelivered.clientId;
  await ctx.store.audit.append({
    at: now,
    type: 'delivery.redelivered',
    actor: ctx.actor,
    subject: target,
    clientId: redelivered.clientId,
    ip: ctx.ip ?? null,
    details: { delivery_id: redelivered.id, kind: redelivered.kind, target, event_type: redelivered.eventType },
  });
  return redelivered;
}
