// KEY_ACTIVATION_REQUIRES_READY (issue 26): an automatic rotation's key activates only once every active client
// known to fetch the JWKS has fetched it since the key was published (src/signing/key-readiness.ts), or once
// KEY_READY_DEADLINE has passed since its scheduled activation, whichever comes first.
//
// Activation is a time stored with the key (every node computes the signing key from it: key-schedule.ts), so a
// hold moves that time, before it comes: a periodic check (auto-rotation.ts) that finds the key activating within
// two check intervals and a client still waiting moves the activation to three intervals from now (capped at the
// deadline). The first check to find it within two intervals comes at least one interval before it, so every
// node's next check (each re-reads the key set) sees the new time before the old one arrives; and a new time
// three intervals away is out of the other nodes' reach until the next interval, so the nodes of a cluster move
// it about once an interval between them, not once each. When every client is ready the key keeps its last time
// and activates at most three intervals later; at the deadline it activates whatever the readiness.
//
// The deadline never slides: it counts from the activation first scheduled, read back from the key's
// `key.rotation_scheduled` audit event, which only automatic rotations write with `automatic: true`. A key
// rotated by hand (`idp keys rotate`, the admin screen) is never held: the operator was warned and chose.
// Each move is audited `key.activation_held`; the end of a hold once, `key.activation_released` (reason `ready`,
// or `deadline` when the activation reached the deadline with clients still waiting).
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { KeyRing } from './key-ring.js';
import { pendingKeyOf, readiness, waitingClients, type PendingKey } from './key-readiness.js';

export interface ActivationHoldDependencies {
  keyRing: KeyRing;
  store: Store;
  clock: Clock;
  keyReadiness: Config['keyReadiness'];
  /** How often the periodic check runs (startAutoRotation's `everyMs`). */
  checkIntervalMs: number;
  logger?: Logger;
}

export type HoldOutcome =
  | { kind: 'none' }
  | { kind: 'held'; kid: string; activatesAt: number; waiting: string[] }
  | { kind: 'released'; kid: string; activatesAt: number; reason: 'ready' | 'deadline'; waiting: string[] };

/** The audit details name at most this many waiting clients (and say how many there were). */
const NAMED_MAX = 20;
const iso = (ms: number) => new Date(ms).toISOString();

/** When the automatic rotation that made the key scheduled it to activate; null for a key made any other way. */
async function automaticSchedule(store: Store, kid: string): Promise<number | null> {
  const [event] = await store.audit.list({ limit: 1, filter: { type: 'key.rotation_scheduled', subject: kid } });
  if (!event || event.details.automatic !== true || typeof event.details.activates_at !== 'string') return null;
  const at = Date.parse(event.details.activates_at);
  return Number.isNaN(at) ? null : at;
}

async function hasEvent(store: Store, type: string, kid: string): Promise<boolean> {
  return (await store.audit.count({ type, subject: kid })) > 0;
}

/** One periodic check (after rotateIfDue, which has just reloaded the key ring). */
export async function checkActivationHold(deps: ActivationHoldDependencies): Promise<HoldOutcome> {
  if (!deps.keyReadiness.required) return { kind: 'none' };
  const now = deps.clock.now();
  const key = pendingKeyOf(deps.keyRing.schedule);
  // Not near its activation yet: nothing to decide (readiness may still change).
  if (!key || key.activatedAt - now > 2 * deps.checkIntervalMs) return { kind: 'none' };
  const scheduledAt = await automaticSchedule(deps.store, key.kid);
  if (scheduledAt === null) return { kind: 'none' };
  const deadline = scheduledAt + deps.keyReadiness.deadlineSeconds * 1000;
  const waiting = waitingClients(await readiness(deps.store, deps.keyRing, now, key.kid)).map((client) => client.clientId);

  if (waiting.length === 0 || now >= deadline) return release(deps, key, waiting.length === 0 ? 'ready' : 'deadline', key.activatedAt, scheduledAt, waiting);
  const activatesAt = Math.min(now + 3 * deps.checkIntervalMs, deadline);
  // Already that late (the deadline reached, or another node's check a moment ago): nothing to move.
  const moved = activatesAt > key.activatedAt;
  if (moved) await hold(deps, key, activatesAt, { scheduledAt, deadline, waiting });
  // At the deadline the hold ends: the key activates then, whoever is still waiting.
  if (activatesAt === deadline) return release(deps, key, 'deadline', activatesAt, scheduledAt, waiting);
  return moved ? { kind: 'held', kid: key.kid, activatesAt, waiting } : { kind: 'none' };
}

async function hold(deps: ActivationHoldDependencies, key: PendingKey, activatesAt: number, facts: { scheduledAt: number; deadline: number; waiting: string[] }) {
  const now = deps.clock.now();
  await deps.keyRing.keyStore.update(key.kid, { activatedAt: activatesAt });
  await deps.store.audit.append({
    at: now,
    type: 'key.activation_held',
    actor: 'system',
    subject: key.kid,
    ip: null,
    details: {
      scheduled_at: iso(facts.scheduledAt),
      previous_activates_at: iso(key.activatedAt),
      activates_at: iso(activatesAt),
      deadline: iso(facts.deadline),
      not_ready: facts.waiting.slice(0, NAMED_MAX),
      not_ready_count: facts.waiting.length,
    },
  });
  deps.logger?.info({ kid: key.kid, activatesAt: iso(activatesAt), notReady: facts.waiting.length }, 'held a signing key activation: clients have not fetched the new key yet');
  await deps.keyRing.reload();
}

/** Records the end of a hold, once per key, and only for a key that was held. */
async function release(deps: ActivationHoldDependencies, key: PendingKey, reason: 'ready' | 'deadline', activatesAt: number, scheduledAt: number, waiting: string[]): Promise<HoldOutcome> {
  if (!(await hasEvent(deps.store, 'key.activation_held', key.kid)) || (await hasEvent(deps.store, 'key.activation_released', key.kid))) return { kind: 'none' };
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'key.activation_released',
    actor: 'system',
    subject: key.kid,
    ip: null,
    details: { reason, scheduled_at: iso(scheduledAt), activates_at: iso(activatesAt), not_ready: waiting.slice(0, NAMED_MAX), not_ready_count: waiting.length },
  });
  deps.logger?.info({ kid: key.kid, reason, activatesAt: iso(activatesAt) }, 'released a held signing key activation');
  return { kind: 'released', kid: key.kid, activatesAt, reason, waiting };
}
