// How key rotation readiness reads on the Signing keys screen (issue 26): before a key activates, which
// applications have not fetched it yet, from what src/signing/key-readiness.ts knows (best effort).
import type { Readiness, ReadinessState } from '../signing/key-readiness.js';
import { clientsPath } from './client-pages.js';
import type { AdminDependencies } from './context.js';
import { duration } from './key-view.js';
import { formatTime } from './render.js';

export interface ReadinessRow {
  clientId: string;
  name: string;
  path: string;
  lastSeen: string;
  /** "—" when no JWKS fetch was ever seen from where it authenticates. */
  lastJwksFetch: string;
}

export interface ReadinessView {
  kid: string;
  published: string;
  activates: string;
  /** Seen fetching the JWKS before, not since the key was published. */
  waiting: ReadinessRow[];
  /** Never seen fetching the JWKS. */
  unknown: ReadinessRow[];
  ready: ReadinessRow[];
  /** What KEY_ACTIVATION_REQUIRES_READY does for this key, in a sentence. */
  hold: string;
}

export function readinessView(deps: AdminDependencies, report: Readiness): ReadinessView | null {
  const key = report.pendingKey;
  if (!key) return null;
  const rows = (state: ReadinessState): ReadinessRow[] =>
    report.clients
      .filter((client) => client.state === state)
      .map((client) => ({
        clientId: client.clientId,
        name: client.name,
        path: clientsPath(deps, client.clientId),
        lastSeen: formatTime(client.lastSeenAt),
        lastJwksFetch: formatTime(client.lastJwksFetchAt),
      }));
  const { required, deadlineSeconds } = deps.config.keyReadiness;
  const hold = required
    ? `KEY_ACTIVATION_REQUIRES_READY is on: if this key was scheduled by automatic rotation, its activation waits until every application in the first list has fetched it, or at most ${duration(deadlineSeconds * 1000)} (KEY_READY_DEADLINE) past the time first scheduled. A key rotated by hand is not held.`
    : 'The key activates at its time, whoever has fetched it (KEY_ACTIVATION_REQUIRES_READY=true holds an automatic activation until they have, or a deadline passes).';
  return {
    kid: key.kid,
    published: formatTime(key.createdAt),
    activates: formatTime(key.activatedAt),
    waiting: rows('waiting'),
    unknown: rows('unknown'),
    ready: rows('ready'),
    hold,
  };
}
