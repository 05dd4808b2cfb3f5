// The rotation timeline as a pure function: states, signing key, JWKS membership and next transition from facts.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { computeSchedule, keyPolicy, nextAutomaticActivation, retirementDelayMs, type KeyFacts, type KeyPolicy } from '../../src/signing/key-schedule.js';

const DELAY = 50;

function key(kid: string, createdAt: number, activatedAt = createdAt, extra: Partial<KeyFacts> = {}): KeyFacts {
  return { kid, createdAt, activatedAt, retiredAt: null, revokedAt: null, ...extra };
}

function at(keys: KeyFacts[], now: number) {
  const schedule = computeSchedule(keys, now, DELAY);
  return {
    states: Object.fromEntries(schedule.keys.map((t) => [t.key.kid, t.state])),
    signing: schedule.signingKey?.kid ?? null,
    published: schedule.published.map((k) => k.kid),
    next: schedule.nextChangeAt,
    retires: Object.fromEntries(schedule.keys.map((t) => [t.key.kid, t.retiresAt])),
  };
}

describe('computeSchedule: a scheduled rotation', () => {
  // A signs from 0; B is published at 100 and takes over at 200; A retires DELAY after that.
  const keys = [key('B', 100, 200), key('A', 0)];

  it('signs with the only key from its activation, and schedules nothing', () => {
    expect(at([key('A', 0)], 10)).toEqual({ states: { A: 'active' }, signing: 'A', published: ['A'], next: Infinity, retires: { A: null } });
  });

  it('publishes the new key before it signs, and names the activation as the next change', () => {
    expect(at(keys, 150)).toMatchObject({ states: { A: 'active', B: 'pending' }, signing: 'A', published: ['B', 'A'], next: 200 });
  });

  it('switches signing at the activation time exactly, keeping the previous key published', () => {
    expect(at(keys, 199).signing).toBe('A');
    expect(at(keys, 200)).toMatchObject({ states: { A: 'published', B: 'active' }, signing: 'B', published: ['B', 'A'], next: 250 });
  });

  it('retires the previous key once every token it signed has expired (activation + retirement delay)', () => {
    expect(at(keys, 249).published).toEqual(['B', 'A']);
    expect(at(keys, 250)).toEqual({ states: { A: 'retired', B: 'active' }, signing: 'B', published: ['B'], next: Infinity, retires: { A: 250, B: null } });
  });

  it('tells the scheduled retirement in advance', () => {
    expect(at(keys, 150).retires).toEqual({ A: 250, B: null });
  });

  it('makes an immediate rotation (activation = creation) the signer at once', () => {
    expect(at([key('B', 100), key('A', 0)], 100)).toMatchObject({ states: { A: 'published', B: 'active' }, signing: 'B', next: 150 });
  });

  it('does not depend on the order of the keys given', () => {
    expect(at([...keys].reverse(), 200)).toMatchObject({ signing: 'B', published: ['A', 'B'] });
  });

  it('lets a later scheduled key supersede a pending one, which then retires after its own short reign', () => {
    const three = [key('C', 120, 300), ...keys];
    expect(at(three, 260)).toMatchObject({ states: { A: 'retired', B: 'active', C: 'pending' } });
    expect(at(three, 300)).toMatchObject({ states: { B: 'published', C: 'active' }, retires: { B: 350 } });
  });
});

describe('computeSchedule: revocation and explicit retirement', () => {
  it('takes a revoked key out of the JWKS at once and signs with its replacement', () => {
    const keys = [key('R', 120), key('B', 100), key('A', 0)];
    const revoked = keys.map((k) => (k.kid === 'B' ? { ...k, revokedAt: 120 } : k));
    expect(at(revoked, 120)).toMatchObject({ states: { A: 'published', B: 'revoked', R: 'active' }, signing: 'R', published: ['R', 'A'] });
  });

  it('keeps the retirement of a key superseded by one revoked later (its tokens are older than the revoked key)', () => {
    const keys = [key('R', 150), key('B', 100, 100, { revokedAt: 150 }), key('A', 0)];
    expect(at(keys, 150).retires.A).toBe(100 + DELAY);
  });

  it('never lets a key revoked before its activation supersede anyone', () => {
    const keys = [key('B', 100, 200, { revokedAt: 150 }), key('A', 0)];
    expect(at(keys, 300)).toMatchObject({ states: { A: 'active', B: 'revoked' }, signing: 'A', published: ['A'], retires: { A: null } });
  });

  it('schedules a future revocation as a transition', () => {
    expect(at([key('A', 0, 0, { revokedAt: 500 })], 100)).toMatchObject({ signing: 'A', next: 500 });
    expect(at([key('A', 0, 0, { revokedAt: 500 })], 500)).toMatchObject({ signing: null, published: [] });
  });

  it('honours an explicit retirement earlier than the schedule, and never signs with a retired key', () => {
    const keys = [key('B', 100), key('A', 0, 0, { retiredAt: 120 })];
    expect(at(keys, 120)).toMatchObject({ states: { A: 'retired', B: 'active' }, published: ['B'] });
    expect(at([key('A', 0, 0, { retiredAt: 120 })], 120)).toMatchObject({ signing: null, states: { A: 'retired' } });
  });

  it('signs with the newer of two keys activated at the same time (a rotation interrupted by a crash)', () => {
    expect(at([key('A', 0, 100), key('B', 50, 100)], 100).signing).toBe('B');
  });

  it('has no signing key while every key is pending', () => {
    expect(at([key('A', 0, 100)], 50)).toMatchObject({ signing: null, states: { A: 'pending' }, published: ['A'], next: 100 });
  });
});

describe('nextAutomaticActivation (KEY_ROTATION_INTERVAL, KEY_PREPUBLISH)', () => {
  const policy: KeyPolicy = { prepublishMs: 100, rotationIntervalMs: 1000, retirementDelayMs: DELAY };

  it('is not due before interval − prepublish after the newest activation', () => {
    expect(nextAutomaticActivation([key('A', 0)], 899, policy)).toBeNull();
  });

  it('is due from then, activating one interval after the previous key', () => {
    expect(nextAutomaticActivation([key('A', 0)], 900, policy)).toBe(1000);
    expect(nextAutomaticActivation([key('A', 0)], 950, policy)).toBe(1050);
  });

  it('still prepublishes for KEY_PREPUBLISH after a long downtime', () => {
    expect(nextAutomaticActivation([key('A', 0)], 5000, policy)).toBe(5100);
  });

  it('is not due while a key is pending', () => {
    expect(nextAutomaticActivation([key('B', 900, 1000), key('A', 0)], 950, policy)).toBeNull();
  });

  it('counts from the newest activation, and ignores revoked keys', () => {
    expect(nextAutomaticActivation([key('B', 500), key('A', 0)], 1000, policy)).toBeNull();
    expect(nextAutomaticActivation([key('B', 500, 500, { revokedAt: 600 }), key('A', 0)], 1000, policy)).toBe(1100);
    expect(nextAutomaticActivation([key('B', 900, 1000, { revokedAt: 950 }), key('A', 0)], 960, policy)).toBe(1060);
  });
});

describe('retirement delay and policy from the configuration', () => {
  it('is the longest token lifetime (ID, access, 120 s logout tokens) plus 60 s of clock skew', () => {
    expect(retirementDelayMs({ idToken: 3600, accessToken: 600 })).toBe(3660_000);
    expect(retirementDelayMs({ idToken: 30, accessToken: 900 })).toBe(960_000);
    expect(retirementDelayMs({ idToken: 30, accessToken: 60 })).toBe(180_000);
  });

  it('reads KEY_PREPUBLISH, KEY_ROTATION_INTERVAL and the lifetimes, in milliseconds', () => {
    const config = loadConfig({ JWKS_MAX_AGE: '60', KEY_PREPUBLISH: '120', KEY_ROTATION_INTERVAL: '600', ID_TOKEN_TTL: '90', ACCESS_TOKEN_TTL: '30' }, '/tmp');
    expect(keyPolicy(config)).toEqual({ prepublishMs: 120_000, rotationIntervalMs: 600_000, retirementDelayMs: 180_000 });
    expect(keyPolicy(loadConfig({}, '/tmp'))).toEqual({ prepublishMs: 86_400_000, rotationIntervalMs: 90 * 86_400_000, retirementDelayMs: 3_660_000 });
  });
});
