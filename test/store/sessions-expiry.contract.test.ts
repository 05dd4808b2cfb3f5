// Store contract: taking sessions that are over (SessionRepository.takeExpired, issue 26), so that housekeeping can
// send their clients a back-channel logout. Each session is taken once, with the clients it gave tokens to, even
// when several nodes (two stores on one database) take at the same time. Shared engines and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, newClient, newSession, seedUserAndClient, T0, type OpenedStore } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('sessions over their lifetime on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;
  let second: Store | undefined;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
    await seedUserAndClient(store);
    await store.clients.create(newClient('crm', 'CRM'), T0);
  });
  afterEach(async () => {
    await second?.close();
    second = undefined;
    await opened.destroy();
  });

  const sidsOf = (taken: { session: { sid: string } }[]) => taken.map((entry) => entry.session.sid);

  it('takes the sessions expired at `now` with their clients in the order they received tokens, once, and keeps live ones', async () => {
    const expired = newSession('s-expired', 'u1', { expiresAt: T0, lastSeenAt: T0 - MINUTE });
    await store.sessions.create(expired);
    await store.sessions.create(newSession('s-quiet', 'u2', { expiresAt: T0 - MINUTE }));
    await store.sessions.create(newSession('s-live', 'u1', { expiresAt: T0 + 1 }));
    await store.sessions.addClient(expired.sid, 'crm', T0 - 2 * MINUTE);
    await store.sessions.addClient(expired.sid, 'rp', T0 - MINUTE);
    await store.sessions.addClient('sid-s-live', 'rp', T0 - MINUTE);

    const taken = await store.sessions.takeExpired(T0, 10);
    // Earliest expiry first; every field of the session as it was stored.
    expect(taken).toEqual([
      { session: newSession('s-quiet', 'u2', { expiresAt: T0 - MINUTE }), clientIds: [] },
      { session: expired, clientIds: ['crm', 'rp'] },
    ]);
    expect(await store.sessions.clientsOf(expired.sid)).toEqual([]);
    expect(await store.sessions.takeExpired(T0, 10)).toEqual([]);
    expect(await store.sessions.findLive('s-live', T0)).not.toBeNull();
    expect(await store.sessions.clientsOf('sid-s-live')).toEqual(['rp']);
    // A session already ended by another path (a logout) is not taken again.
    expect(await store.sessions.delete('s-live')).toBe(true);
    expect(await store.sessions.takeExpired(T0 + MINUTE, 10)).toEqual([]);
  });

  it('takes a session idle since the cutoff only when one is given, and not one seen after it', async () => {
    await store.sessions.create(newSession('s-idle', 'u1', { lastSeenAt: T0 - 30 * MINUTE }));
    await store.sessions.create(newSession('s-active', 'u1', { lastSeenAt: T0 - 30 * MINUTE }));
    await store.sessions.touch('s-active', T0 - 10 * MINUTE);
    await store.sessions.addClient('sid-s-idle', 'rp', T0 - 30 * MINUTE);

    expect(await store.sessions.takeExpired(T0, 10)).toEqual([]);
    const taken = await store.sessions.takeExpired(T0, 10, T0 - 20 * MINUTE);
    expect(taken.map((entry) => [entry.session.sid, entry.clientIds])).toEqual([['sid-s-idle', ['rp']]]);
    expect(await store.sessions.findLive('s-idle', T0)).toBeNull();
    expect(await store.sessions.findLive('s-active', T0)).not.toBeNull();
    // Seen exactly at the cutoff is idle (Sessions.current: lastSeenAt + idle <= now).
    expect(sidsOf(await store.sessions.takeExpired(T0, 10, T0 - 10 * MINUTE))).toEqual(['sid-s-active']);
  });

  it('takes at most `limit` sessions per call, earliest expiry first, and none for a limit below one', async () => {
    for (const [index, expiresAt] of [T0 - 1, T0 - 3, T0 - 2].entries()) await store.sessions.create(newSession(`s${index}`, 'u1', { expiresAt }));
    expect(await store.sessions.takeExpired(T0, 0)).toEqual([]);
    expect(sidsOf(await store.sessions.takeExpired(T0, 2))).toEqual(['sid-s1', 'sid-s2']);
    expect(sidsOf(await store.sessions.takeExpired(T0, 2))).toEqual(['sid-s0']);
    expect(await store.sessions.takeExpired(T0, 2)).toEqual([]);
  });

  it('gives each session to exactly one of two stores taking at once (two nodes, or the server and the `idp` tool)', async () => {
    second = await opened.second();
    const sids: string[] = [];
    for (let index = 0; index < 40; index++) {
      const session = newSession(`race-${String(index).padStart(2, '0')}`, index % 2 === 0 ? 'u1' : 'u2', { expiresAt: T0 - index });
      await store.sessions.create(session);
      await store.sessions.addClient(session.sid, 'rp', T0 - MINUTE);
      sids.push(session.sid);
    }
    /** Takes in small batches until nothing is left: at most 40 rounds, since each round that finds any takes one. */
    const drain = async (from: Store) => {
      const got: { session: { sid: string }; clientIds: string[] }[] = [];
      for (let round = 0; round < 40; round++) {
        const batch = await from.sessions.takeExpired(T0, 3);
        if (batch.length === 0) break;
        got.push(...batch);
      }
      return got;
    };
    const other = second;
    const all = (await Promise.all([drain(store), drain(other), drain(store), drain(other)])).flat();
    expect(sidsOf(all).sort()).toEqual(sids.sort());
    expect(all.every((entry) => entry.clientIds.length === 1 && entry.clientIds[0] === 'rp')).toBe(true);
    expect(await store.sessions.countLive(T0 - 100)).toBe(0);
  });
});
