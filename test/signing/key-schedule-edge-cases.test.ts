// computeSchedule and nextAutomaticActivation on less common facts: keys alike but for their kid, a key retired
// before it ever signed, transitions at the same moment, and explicit retirements in the rotation check.
import { describe, expect, it } from 'vitest';
import { computeSchedule, nextAutomaticActivation, type KeyFacts, type KeyPolicy } from '../../src/signing/key-schedule.js';

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
    superseded: Object.fromEntries(schedule.keys.map((t) => [t.key.kid, t.supersededAt])),
    retires: Object.fromEntries(schedule.keys.map((t) => [t.key.kid, t.retiresAt])),
  };
}

describe('computeSchedule: edge cases', () => {
  it('signs with the key whose kid sorts last when two keys were created and activate at the same time, whatever their order', () => {
    const pair = [key('kid-b', 100), key('kid-a', 100)];
    expect(at(pair, 100)).toMatchObject({ signing: 'kid-b', states: { 'kid-a': 'published', 'kid-b': 'active' }, superseded: { 'kid-a': 100, 'kid-b': null } });
    expect(at([...pair].reverse(), 100).signing).toBe('kid-b');
  });

  it('never lets a key explicitly retired before its activation supersede anyone', () => {
    const keys = [key('B', 100, 200, { retiredAt: 150 }), key('A', 0)];
    expect(at(keys, 300)).toEqual({
      states: { A: 'active', B: 'retired' },
      signing: 'A',
      published: ['A'],
      next: Infinity,
      superseded: { A: null, B: null },
      retires: { A: null, B: 150 },
    });
  });

  it('lets a key retired by hand after its activation keep having superseded its predecessor', () => {
    const keys = [key('B', 100, 200, { retiredAt: 300 }), key('A', 0)];
    expect(at(keys, 250)).toMatchObject({ states: { A: 'retired', B: 'active' }, signing: 'B', retires: { A: 250, B: 300 } });
    // Once B is retired too nothing signs: A does not come back.
    expect(at(keys, 310)).toMatchObject({ states: { A: 'retired', B: 'retired' }, signing: null, published: [] });
  });

  it('never lets a key retired by hand at the very moment of its activation supersede anyone', () => {
    const keys = [key('B', 100, 200, { retiredAt: 200 }), key('A', 0)];
    expect(at(keys, 300)).toMatchObject({ states: { A: 'active', B: 'retired' }, signing: 'A', retires: { A: null, B: 200 } });
  });

  it('orders keys by activation, not creation: a key scheduled first but activating last signs from its activation', () => {
    // B was scheduled at 100 to activate at 1000; C was created later, at 200, and signed at once.
    const keys = [key('C', 200), key('B', 100, 1000), key('A', 0)];
    expect(at(keys, 500)).toMatchObject({ signing: 'C', states: { A: 'retired', B: 'pending', C: 'active' } });
    expect(at(keys, 1000)).toMatchObject({ signing: 'B', states: { A: 'retired', B: 'active', C: 'published' }, superseded: { A: 200, B: null, C: 1000 } });
  });

  it('tells who superseded a key and when, and nothing for the newest', () => {
    const keys = [key('C', 300), key('B', 100, 200), key('A', 0)];
    expect(at(keys, 250).superseded).toEqual({ A: 200, B: 300, C: null });
    expect(at(keys, 250).retires).toEqual({ A: 250, B: 350, C: null });
  });

  it('names the earliest future transition as the next change, among activations, retirements and revocations', () => {
    const keys = [key('C', 120, 400), key('B', 100, 200, { revokedAt: 330 }), key('A', 0)];
    expect(at(keys, 210).next).toBe(250);
    expect(at(keys, 250).next).toBe(330);
    expect(at(keys, 330).next).toBe(400);
  });

  it('keeps a stored retirement later than the schedule: decided with the longer lifetimes of the tokens the key signed', () => {
    const keys = [key('B', 100), key('A', 0, 0, { retiredAt: 400 })];
    expect(at(keys, 300)).toMatchObject({ states: { A: 'published', B: 'active' }, published: ['B', 'A'], next: 400, retires: { A: 400 } });
    expect(at(keys, 400)).toMatchObject({ states: { A: 'retired' }, published: ['B'] });
  });

  it('counts an explicit retirement and a scheduled one at the same moment once', () => {
    const keys = [key('B', 100), key('A', 0, 0, { retiredAt: 150 })];
    expect(at(keys, 120)).toMatchObject({ next: 150, retires: { A: 150 } });
    expect(at(keys, 150)).toMatchObject({ states: { A: 'retired', B: 'active' }, next: Infinity });
  });
});

describe('nextAutomaticActivation: explicit retirements and revocations', () => {
  const policy: KeyPolicy = { prepublishMs: 100, rotationIntervalMs: 1000, retirementDelayMs: DELAY };

  it('counts from the newest activation of a key not retired by hand', () => {
    expect(nextAutomaticActivation([key('B', 500, 500, { retiredAt: 600 }), key('A', 0)], 1000, policy)).toBe(1100);
    expect(nextAutomaticActivation([key('B', 500, 500, { retiredAt: 1200 }), key('A', 0)], 1000, policy)).toBeNull();
    expect(nextAutomaticActivation([key('B', 500, 500, { retiredAt: 1000 }), key('A', 0)], 1000, policy)).toBe(1100);
  });

  it('is not held back by a pending key that was retired or revoked by hand', () => {
    expect(nextAutomaticActivation([key('B', 900, 1000, { retiredAt: 950 }), key('A', 0)], 960, policy)).toBe(1060);
    expect(nextAutomaticActivation([key('B', 900, 1000, { revokedAt: 960 }), key('A', 0)], 960, policy)).toBe(1060);
  });
});
