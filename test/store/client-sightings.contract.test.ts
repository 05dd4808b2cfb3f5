// Store contract: client sightings (ClientSightingRepository, issue 26): where each client authenticated from
// (address and User-Agent), and when a JWKS fetch last came from there — the evidence src/signing/key-readiness.ts
// reads before a key activates. Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, newClient, T0, type OpenedStore } from './engines.js';

const APP = { address: '10.0.0.1', userAgent: 'openid-client/6' };
const OTHER = { address: '10.0.0.2', userAgent: 'openid-client/6' };

describe.each(engines.map((engine) => [engine.name, engine] as const))('client sightings on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;
  const saw = (clientId: string, origin: typeof APP, at: number) => store.clientSightings.saw(clientId, origin.address, origin.userAgent, at);
  const fetched = (origin: typeof APP, at: number) => store.clientSightings.jwksFetched(origin.address, origin.userAgent, at);

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
    await store.clients.create(newClient('rp', 'Relying party'), T0);
    await store.clients.create(newClient('api', 'Orders API'), T0);
  });

  afterEach(async () => {
    await opened.destroy();
  });

  it('summarises each client seen since a time: its last sighting over every origin, and no JWKS fetch yet', async () => {
    await saw('rp', APP, T0 + MINUTE);
    await saw('rp', OTHER, T0 + 3 * MINUTE);
    // Writes may arrive out of order: an earlier sighting never moves the last one back.
    await saw('rp', OTHER, T0 + 2 * MINUTE);
    await saw('api', APP, T0);
    expect(await store.clientSightings.summary(T0)).toEqual([
      { clientId: 'api', lastSeenAt: T0, lastJwksFetchAt: null },
      { clientId: 'rp', lastSeenAt: T0 + 3 * MINUTE, lastJwksFetchAt: null },
    ]);
    expect(await store.clientSightings.summary(T0 + MINUTE)).toEqual([{ clientId: 'rp', lastSeenAt: T0 + 3 * MINUTE, lastJwksFetchAt: null }]);
    expect(await store.clientSightings.summary(T0 + 3 * MINUTE + 1)).toEqual([]);
  });

  it('marks every client seen at the address and User-Agent of a JWKS fetch, and only those', async () => {
    await saw('rp', APP, T0);
    await saw('api', APP, T0);
    await saw('rp', OTHER, T0);
    expect(await fetched(APP, T0 + MINUTE)).toBe(2);
    // Another User-Agent from the same address is another program: nobody is marked.
    expect(await store.clientSightings.jwksFetched(APP.address, 'curl/8', T0 + 2 * MINUTE)).toBe(0);
    expect(await fetched({ address: '10.9.9.9', userAgent: APP.userAgent }, T0 + 2 * MINUTE)).toBe(0);
    expect(await store.clientSightings.summary(T0)).toEqual([
      { clientId: 'api', lastSeenAt: T0, lastJwksFetchAt: T0 + MINUTE },
      { clientId: 'rp', lastSeenAt: T0, lastJwksFetchAt: T0 + MINUTE },
    ]);
  });

  it('keeps the latest JWKS fetch when an earlier one is written after it', async () => {
    await saw('rp', APP, T0);
    expect(await fetched(APP, T0 + 2 * MINUTE)).toBe(1);
    expect(await fetched(APP, T0 + MINUTE)).toBe(0);
    expect(await store.clientSightings.summary(T0)).toEqual([{ clientId: 'rp', lastSeenAt: T0, lastJwksFetchAt: T0 + 2 * MINUTE }]);
  });

  it('gives a client first seen at an origin the JWKS fetch already recorded there', async () => {
    await saw('api', APP, T0);
    await fetched(APP, T0 + MINUTE);
    await saw('rp', APP, T0 + 2 * MINUTE);
    // A later sighting keeps the fetch.
    await saw('rp', APP, T0 + 3 * MINUTE);
    expect(await store.clientSightings.summary(T0)).toContainEqual({ clientId: 'rp', lastSeenAt: T0 + 3 * MINUTE, lastJwksFetchAt: T0 + MINUTE });
  });

  it('records nothing for a client that does not exist, and forgets a deleted client', async () => {
    await expect(saw('gone', APP, T0)).resolves.toBeUndefined();
    await saw('rp', APP, T0);
    expect(await store.clients.delete('rp')).toBe(true);
    expect(await store.clientSightings.summary(0)).toEqual([]);
    expect(await fetched(APP, T0 + MINUTE)).toBe(0);
  });

  it('keeps addresses and User-Agents exactly (case, long values, the empty User-Agent)', async () => {
    const long = 'Mozilla/5.0 '.repeat(21).slice(0, 256);
    await saw('rp', { address: '2001:db8::1', userAgent: long }, T0);
    await saw('api', { address: '2001:db8::1', userAgent: '' }, T0);
    expect(await store.clientSightings.jwksFetched('2001:DB8::1', long, T0 + 1)).toBe(0);
    expect(await store.clientSightings.jwksFetched('2001:db8::1', long.toUpperCase(), T0 + 1)).toBe(0);
    expect(await store.clientSightings.jwksFetched('2001:db8::1', long, T0 + 1)).toBe(1);
    expect(await store.clientSightings.jwksFetched('2001:db8::1', '', T0 + 2)).toBe(1);
    expect(await store.clientSightings.summary(T0)).toEqual([
      { clientId: 'api', lastSeenAt: T0, lastJwksFetchAt: T0 + 2 },
      { clientId: 'rp', lastSeenAt: T0, lastJwksFetchAt: T0 + 1 },
    ]);
  });

  it('removes sightings neither seen nor fetching the JWKS since a time, and keeps the others', async () => {
    await saw('rp', APP, T0);
    await saw('rp', OTHER, T0);
    await saw('api', APP, T0 + 10 * MINUTE);
    // rp at OTHER still fetches the JWKS: kept, though rp has not authenticated from there since.
    await fetched(OTHER, T0 + 10 * MINUTE);
    expect(await store.clientSightings.deleteBefore(T0 + 5 * MINUTE)).toBe(1);
    expect(await store.clientSightings.summary(0)).toEqual([
      { clientId: 'api', lastSeenAt: T0 + 10 * MINUTE, lastJwksFetchAt: null },
      { clientId: 'rp', lastSeenAt: T0, lastJwksFetchAt: T0 + 10 * MINUTE },
    ]);
    expect(await store.clientSightings.deleteBefore(T0 + 5 * MINUTE)).toBe(0);
    expect(await store.clientSightings.deleteBefore(T0 + 11 * MINUTE)).toBe(2);
    expect(await store.clientSightings.summary(0)).toEqual([]);
  });
});
