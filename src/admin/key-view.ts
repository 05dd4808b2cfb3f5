// How a signing key reads on the admin pages: its state as a badge and its timeline in words, the same facts
// `idp keys list` prints (src/cli/keys.ts), with past and future times told apart ("activated" / "activates").
import { routes } from '../http/routes.js';
import type { KeyState, KeyTimeline, Schedule } from '../signing/key-schedule.js';
import { describeKey, type SigningKey } from '../signing/key-store.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

export interface KeyTime {
  /** "Activated" or "Activates", "Retired" or "Retires": whether the time is past. */
  label: string;
  at: string;
}

export interface KeyView {
  kid: string;
  bits: number;
  state: KeyState;
  badge: string;
  /** What the state means for relying parties. */
  meaning: string;
  signsNow: boolean;
  created: string;
  activation: KeyTime;
  /** Null while no later key is scheduled, and for a revoked key (revocation, not retirement, removed it). */
  retirement: KeyTime | null;
  revoked: string | null;
  /** Where to ask to revoke it; null once it is revoked. */
  revokePath: string | null;
}

const BADGES: Record<KeyState, string> = {
  active: 'badge-ok',
  pending: 'badge-info',
  published: 'badge-warn',
  retired: '',
  revoked: 'badge-bad',
};

const MEANINGS: Record<KeyState, string> = {
  active: 'signs new tokens; in the JWKS',
  pending: 'in the JWKS; signs from its activation time',
  published: 'no longer signs; stays in the JWKS until the tokens it signed have expired',
  retired: 'out of the JWKS',
  revoked: 'out of the JWKS, never signs again',
};

export function keysPath(deps: AdminDependencies, kid?: string): string {
  const base = `${deps.config.basePath}${routes.admin}/keys`;
  return kid === undefined ? base : `${base}/${encodeURIComponent(kid)}/revoke`;
}

function timeAt(past: string, future: string, at: number, now: number): KeyTime {
  return { label: at <= now ? past : future, at: formatTime(at) };
}

export function keyView(deps: AdminDependencies, timeline: KeyTimeline<SigningKey>, schedule: Schedule<SigningKey>): KeyView {
  const info = describeKey(timeline.key);
  const now = schedule.at;
  const revoked = timeline.state === 'revoked';
  return {
    kid: info.kid,
    bits: info.bits,
    state: timeline.state,
    badge: BADGES[timeline.state],
    meaning: MEANINGS[timeline.state],
    signsNow: schedule.signingKey?.kid === info.kid,
    created: formatTime(info.createdAt),
    activation: timeAt('Activated', 'Activates', info.activatedAt, now),
    retirement: timeline.retiresAt === null || revoked ? null : timeAt('Retired', 'Retires', timeline.retiresAt, now),
    revoked: info.revokedAt === null ? null : formatTime(info.revokedAt),
    revokePath: info.revokedAt === null ? keysPath(deps, info.kid) : null,
  };
}

/** A policy duration in words: "5 minutes", "1 day", "90 seconds". */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}
