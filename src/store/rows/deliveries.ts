// The deliveries table's columns, how a row becomes a record, and the rules of the audit fan-out, shared by every
// engine (issue 26, migration 0017: the durable delivery queue of webhooks and back-channel logout).
import { ValidationError } from '../../errors.js';
import { decodeCursor } from '../cursor.js';
import type { DeliveryKind, DeliveryRecord, DeliverySettlement, DeliveryState, NewAuditEvent } from '../records.js';

export interface DeliveryRow {
  id: string;
  kind: string;
  webhook_id: string | null;
  client_id: string | null;
  event_id: number | null;
  event_type: string;
  payload: string | null;
  state: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export const COLUMNS =
  'id, kind, webhook_id, client_id, event_id, event_type, payload, state, attempts, next_attempt_at, lease_owner, lease_until, last_status, last_error, created_at, updated_at';

export function toRecord(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    // The table's CHECKs admit only the kinds and states the types name.
    kind: row.kind as DeliveryKind,
    webhookId: row.webhook_id,
    clientId: row.client_id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A claim's rows come back in no particular order (UPDATE … RETURNING): oldest due first, then by id. */
export function dueOrder(a: DeliveryRecord, b: DeliveryRecord): number {
  return a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The columns a new delivery is inserted with: after the seven of its own, 'pending' and no attempt, then when it is
 * due, its lease (when the enqueuing node makes the first attempt itself) and the times.
 */
export const INSERT_COLUMNS = 'id, kind, webhook_id, client_id, event_id, event_type, payload, state, attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at';

/**
 * What a settlement writes, in the order of the engines' SETTLE statement: state, next_attempt_at (null: kept),
 * last_status, last_error (null when delivered).
 */
export function settlementValues(settlement: DeliverySettlement): [DeliveryState, number | null, number | null, string | null] {
  switch (settlement.state) {
    case 'delivered':
      return ['delivered', null, settlement.status, null];
    case 'pending':
      return ['pending', settlement.nextAttemptAt, settlement.status, settlement.error];
    case 'dead':
      return ['dead', null, settlement.status, settlement.error];
  }
}

/** A keyset page of one endpoint's or client's deliveries, newest first: the cursor is (created_at, id) of the last row. */
export function pageKey(row: DeliveryRow): string[] {
  return [String(row.created_at), row.id];
}

/** The (created_at, id) a page cursor names; a cursor that is not one of ours is refused (ValidationError), nothing read. */
export function pageAfter(after: string): [number, string] {
  const [createdAt = '', id = ''] = decodeCursor(after, 2);
  const at = Number(createdAt);
  if (!/^\d{1,16}$/.test(createdAt) || !Number.isSafeInteger(at)) throw new ValidationError('after', 'the page cursor is not valid');
  return [at, id];
}

/**
 * Whether an audit event is offered to the webhook endpoints at all. The queue audits a webhook delivery's death
 * and an administrator's redelivery (`delivery.dead`, `delivery.redelivered`); delivering those to the endpoints
 * would feed the queue its own failures: an endpoint that refuses everything would make a new delivery of every
 * death, which dies in turn, for ever (and two such endpoints would feed each other). They stay in the audit log
 * and in the metrics (gatehouse_deliveries_total{kind="webhook",outcome="dead"}), where an operator alerts on them.
 * A back-channel delivery's events are offered as any other event.
 */
export function offeredToWebhooks(event: NewAuditEvent): boolean {
  return !(event.type.startsWith('delivery.') && event.details.kind === 'webhook');
}

/**
 * Whether a webhook's pattern (`p.pattern`) matches the event type, as SQL over the engine's parameter for the type:
 * `*` (everything), the exact type (`user.created`), or a family (`user.*`: every type that starts with `user.`
 * and has something after it). substr, not LIKE: an event type's `_` is no wildcard.
 */
export function patternMatches(type: string): string {
  return (
    `(p.pattern = '*' OR p.pattern = ${type} OR (substr(p.pattern, length(p.pattern) - 1) = '.*' ` +
    `AND length(${type}) > length(p.pattern) - 1 AND substr(${type}, 1, length(p.pattern) - 1) = substr(p.pattern, 1, length(p.pattern) - 1)))`
  );
}

/** The same rule in TypeScript (the manage layer shows which endpoints an event type reaches; tests compare the two). */
export function patternMatchesType(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  if (!pattern.endsWith('.*')) return false;
  const family = pattern.slice(0, -1);
  return type.length > family.length && type.startsWith(family);
}
