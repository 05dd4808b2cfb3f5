// The rotation timeline as a pure function of facts (when each key was created, activates, was retired or
// revoked), not of stored states: activation and retirement then happen on time without anyone writing a file
// at that moment, and every process that reads the same facts at the same time agrees on which key signs. The one
// fact written later is a superseded key's retirement, decided once (key-retirement.ts).
import type { Config, Lifetimes } from '../config.js';
import { LOGOUT_TOKEN_LIFETIME_SECONDS } from '../logout/logout-token.js';

/**
 * pending: published, signs later. active: signs. published: superseded, still in the JWKS until every token it
 * signed has expired. retired: out of the JWKS. revoked: out of the JWKS at once, compromised.
 */
export type KeyState = 'pending' | 'active' | 'published' | 'retired' | 'revoked';

export interface KeyFacts {
  kid: string;
  /** In the JWKS from this time. */
  createdAt: number;
  /** Signs from this time (possibly in the future), until a key activated later takes over. */
  activatedAt: number;
  /**
   * The stored retirement: decided once when the key was superseded (key-retirement.ts), or explicit (files of
   * earlier versions, hand edits). Once stored it is used as it is, whatever the token lifetimes say now; while
   * none is, a superseded key's retirement is computed from the lifetimes.
   */
  retiredAt: number | null;
  revokedAt: number | null;
}

export interface KeyTimeline<K extends KeyFacts> {
  key: K;
  state: KeyState;
  /** When a later key takes (or took) over signing; null while none is scheduled. */
  supersededAt: number | null;
  /** When it leaves (or left) the JWKS by retirement: the stored retirement, else as scheduled; null while neither. */
  retiresAt: number | null;
}

export interface Schedule<K extends KeyFacts> {
  at: number;
  /** In the order given. */
  keys: KeyTimeline<K>[];
  /** Null only for a key set nobody could sign with (every key pending, retired or revoked). */
  signingKey: K | null;
  /** What the JWKS holds: the pending, active and published keys, in the order given. */
  published: K[];
  /** The next time any state changes; Infinity when nothing is scheduled. */
  nextChangeAt: number;
}

export interface KeyPolicy {
  /** How long a new key is in the JWKS before it signs (KEY_PREPUBLISH). */
  prepublishMs: number;
  /** Time between automatic activations (KEY_ROTATION_INTERVAL). */
  rotationIntervalMs: number;
  /**
   * How long a superseded key stays published: until every token it signed has expired. Applied once per key,
   * when its retirement is decided and stored (key-retirement.ts).
   */
  retirementDelayMs: number;
}

/** Relying parties' clocks may run behind ours; they still accept a token this long after its exp. */
export const CLOCK_SKEW_SECONDS = 60;
/** The delay for the longest ID and access token lifetimes the configuration allows (one day each). */
export const MAX_RETIREMENT_DELAY_MS = (24 * 3600 + CLOCK_SKEW_SECONDS) * 1000;

export function retirementDelayMs(lifetimes: Pick<Lifetimes, 'idToken' | 'accessToken'>): number {
  return (Math.max(lifetimes.idToken, lifetimes.accessToken, LOGOUT_TOKEN_LIFETIME_SECONDS) + CLOCK_SKEW_SECONDS) * 1000;
}

export function keyPolicy(config: Pick<Config, 'keyPrepublish' | 'keyRotationInterval' | 'lifetimes'>): KeyPolicy {
  return {
    prepublishMs: config.keyPrepublish * 1000,
    rotationIntervalMs: config.keyRotationInterval * 1000,
    retirementDelayMs: retirementDelayMs(config.lifetimes),
  };
}

const revokedBy = (key: KeyFacts, at: number) => key.revokedAt !== null && key.revokedAt <= at;
const explicitlyRetiredBy = (key: KeyFacts, at: number) => key.retiredAt !== null && key.retiredAt <= at;
/** A key revoked or retired before its activation never took over from anyone. */
const tookOver = (key: KeyFacts) => !revokedBy(key, key.activatedAt) && !explicitlyRetiredBy(key, key.activatedAt);

/** Activation order; ties (a crash between two writes, hand edits) go to the newer key, then to the kid. */
function byActivation(a: KeyFacts, b: KeyFacts): number {
  return a.activatedAt - b.activatedAt || a.createdAt - b.createdAt || a.kid.localeCompare(b.kid);
}

export function computeSchedule<K extends KeyFacts>(keys: readonly K[], now: number, retirementDelay: number): Schedule<K> {
  const ordered = [...keys].sort(byActivation);
  const timelines = new Map<K, { supersededAt: number | null; retiresAt: number | null }>();
  let successor: K | undefined;
  // Walking from the last activation back, `successor` is the next key that really took over signing.
  for (let i = ordered.length - 1; i >= 0; i--) {
    const key = ordered[i] as K;
    const supersededAt = successor ? successor.activatedAt : null;
    // A stored retirement wins over the schedule, later or earlier: it was decided with the lifetimes of the
    // tokens the key signed, which a changed ID_TOKEN_TTL no longer tells (Gatehouse issue 20).
    const retiresAt = key.retiredAt ?? (supersededAt === null ? Infinity : supersededAt + retirementDelay);
    timelines.set(key, { supersededAt, retiresAt: retiresAt === Infinity ? null : retiresAt });
    if (tookOver(key)) successor = key;
  }
  const retiredBy = (key: K, at: number) => {
    // Stryker disable next-line OptionalChaining: equivalent; the loop above gave every key a timeline
    const retiresAt = timelines.get(key)?.retiresAt ?? null;
    return retiresAt !== null && retiresAt <= at;
  };
  const signingKey = ordered.findLast((key) => key.activatedAt <= now && !revokedBy(key, now) && !retiredBy(key, now)) ?? null;

  let nextChangeAt = Infinity;
  const result: KeyTimeline<K>[] = keys.map((key) => {
    // Stryker disable next-line ObjectLiteral: equivalent; the loop above gave every key a timeline
    const { supersededAt, retiresAt } = timelines.get(key) ?? { supersededAt: null, retiresAt: null };
    for (const at of [key.activatedAt, retiresAt, key.revokedAt]) {
      if (at !== null && at > now && at < nextChangeAt) nextChangeAt = at;
    }
    const state: KeyState = revokedBy(key, now) ? 'revoked' : retiredBy(key, now) ? 'retired' : key === signingKey ? 'active' : key.activatedAt > now ? 'pending' : 'published';
    return { key, state, supersededAt, retiresAt };
  });
  return {
    at: now,
    keys: result,
    signingKey,
    published: result.filter((t) => t.state !== 'retired' && t.state !== 'revoked').map((t) => t.key),
    nextChangeAt,
  };
}

/**
 * When an automatic rotation is due, the activation time of the key to schedule; otherwise null. Due when no
 * key is pending and the newest activation is older than interval − prepublish: the new key then activates one
 * interval after the previous one, and never less than KEY_PREPUBLISH from now (after a long downtime).
 */
export function nextAutomaticActivation(keys: readonly KeyFacts[], now: number, policy: KeyPolicy): number | null {
  const usable = keys.filter((key) => !revokedBy(key, now) && !explicitlyRetiredBy(key, now));
  // Stryker disable next-line MethodExpression,ArrowFunction: equivalent; a pending key's activation is after now, so the interval check below refuses as well (KEY_ROTATION_INTERVAL > KEY_PREPUBLISH)
  if (usable.some((key) => key.activatedAt > now)) return null;
  const latest = Math.max(...usable.map((key) => key.activatedAt));
  if (now - latest < policy.rotationIntervalMs - policy.prepublishMs) return null;
  return Math.max(now + policy.prepublishMs, latest + policy.rotationIntervalMs);
}
