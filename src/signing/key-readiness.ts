// Which relying applications have the next signing key (issue 26, key rotation readiness). A key is in the JWKS
// from its creation (published) and signs from its activation; an application is ready for it once it fetched
// the JWKS after the key was published. What we know of fetches is best effort (src/signing/client-sightings.ts):
// a JWKS fetch is attributed to the clients that authenticated from the same address with the same User-Agent.
//
// Three answers per active client (one that authenticated in the last 30 days):
// - ready: a JWKS fetch was seen from it since the key was published;
// - waiting: it was seen fetching the JWKS before, not since: it holds a cached copy without the new key;
// - unknown: no JWKS fetch was ever seen from where it authenticates (a machine client that never verifies a
//   token, or one whose fetches leave through another egress or a shared cache): nobody can tell.
// Public clients (single-page and native applications) never authenticate, so they are not tracked at all.
import { CLIENT_SIGHTINGS_KEPT_MS } from '../store/housekeeping.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { KeyFacts, Schedule } from './key-schedule.js';

/** A client that authenticated within this window is active: its readiness counts. Housekeeping keeps sightings as long. */
export const ACTIVE_CLIENT_WINDOW_MS = CLIENT_SIGHTINGS_KEPT_MS;

export type ReadinessState = 'ready' | 'waiting' | 'unknown';

export interface PendingKey {
  kid: string;
  /** Published in the JWKS from this time: fetches from then on carry it. */
  createdAt: number;
  activatedAt: number;
}

export interface ClientReadiness {
  clientId: string;
  name: string;
  /** The last client-authenticated request seen from it. */
  lastSeenAt: number;
  /** The last JWKS fetch attributed to it; null when none was ever seen. */
  lastJwksFetchAt: number | null;
  ready: boolean;
  state: ReadinessState;
}

export interface Readiness {
  /** The key readiness is judged for (pendingKeyOf); null when there is none. */
  pendingKey: PendingKey | null;
  /** Every active confidential client (none when no key is pending): the waiting first, then the unknown, then the ready; by name within each. */
  clients: ClientReadiness[];
}

const ORDER: Record<ReadinessState, number> = { waiting: 0, unknown: 1, ready: 2 };

/**
 * The key `kid` while it is pending or active (`idp keys rotate --now` asks about a key that signs already), or
 * else the pending key that activates first; null when there is none.
 */
export function pendingKeyOf(schedule: Pick<Schedule<KeyFacts>, 'keys'>, kid?: string): PendingKey | null {
  const key = schedule.keys
    .filter((timeline) => (kid === undefined ? timeline.state === 'pending' : timeline.key.kid === kid && (timeline.state === 'pending' || timeline.state === 'active')))
    .map((timeline) => timeline.key)
    .sort((a, b) => a.activatedAt - b.activatedAt)[0];
  return key ? { kid: key.kid, createdAt: key.createdAt, activatedAt: key.activatedAt } : null;
}

export function stateFor(lastJwksFetchAt: number | null, key: Pick<PendingKey, 'createdAt'>): ReadinessState {
  if (lastJwksFetchAt === null) return 'unknown';
  return lastJwksFetchAt >= key.createdAt ? 'ready' : 'waiting';
}

/**
 * Readiness for the key `kid`, or the pending key activating first, at `now`. `keys` is the running server's
 * KeyRing, or any holder of a schedule (the `idp` tool passes the timeline of the key it just made).
 */
export async function readiness(store: Pick<Store, 'clientSightings' | 'clients'>, keys: { schedule: Pick<Schedule<KeyFacts>, 'keys'> }, now: number, kid?: string): Promise<Readiness> {
  const pendingKey = pendingKeyOf(keys.schedule, kid);
  if (!pendingKey) return { pendingKey: null, clients: [] };
  const summaries = await store.clientSightings.summary(now - ACTIVE_CLIENT_WINDOW_MS);
  // One lookup per active confidential client: a few hundred at most, read only by the keys screen, `idp keys
  // rotate` and the rotation check (not by requests).
  const records = await Promise.all(summaries.map((summary) => store.clients.findById(summary.clientId)));
  const clients: ClientReadiness[] = [];
  summaries.forEach((summary, i) => {
    const client: ClientRecord | null | undefined = records[i];
    // Deleted meanwhile, or made public since it was seen: not tracked.
    if (!client || client.clientType === 'public') return;
    const state = stateFor(summary.lastJwksFetchAt, pendingKey);
    clients.push({ clientId: summary.clientId, name: client.name, lastSeenAt: summary.lastSeenAt, lastJwksFetchAt: summary.lastJwksFetchAt, ready: state === 'ready', state });
  });
  clients.sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.name.localeCompare(b.name) || a.clientId.localeCompare(b.clientId));
  return { pendingKey, clients };
}

/** The clients an automatic activation waits for (KEY_ACTIVATION_REQUIRES_READY): those known to fetch the JWKS, not since the key was published. */
export function waitingClients(report: Readiness): ClientReadiness[] {
  return report.clients.filter((client) => client.state === 'waiting');
}

/** The clients not known to be ready (waiting and unknown): what `idp keys rotate` warns about. */
export function notReadyClients(report: Readiness): ClientReadiness[] {
  return report.clients.filter((client) => !client.ready);
}
