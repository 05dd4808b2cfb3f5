// Housekeeping (src/store/housekeeping.ts) on every engine: rows that can no longer be used are removed, so that
// the tables stay bounded. With the per-address admission limits (issue 19, F9) this bounds what unauthenticated
// requests can leave behind: pending sign-ins and passkey challenges (used or not) go once expired, and so do
// the throttle counters that admitted them.
import { describe, expect, it } from 'vitest';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { sweepExpired } from '../../src/store/housekeeping.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newAccessToken, newCode, newSession, seedUserAndClient, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('housekeeping on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  it('removes expired codes, pending sign-ins, sessions and access-token records, and keeps live ones', async () => {
    await seedUserAndClient(store);
    await store.codes.create(newCode('old', 'u1', 'rp', { expiresAt: T0 }));
    await store.codes.create(newCode('live', 'u1', 'rp', { expiresAt: T0 + MINUTE }));
    await store.authorizationRequests.create({ idHash: 'r-old', browserHash: 'b', clientId: 'rp', params: {}, createdAt: T0 - MINUTE, expiresAt: T0 });
    await store.accessTokens.create(newAccessToken('at-old', { grantId: 'g', createdAt: T0 - MINUTE, expiresAt: T0 }));
    await store.accessTokens.create(newAccessToken('at-live', { grantId: 'g', createdAt: T0, expiresAt: T0 + MINUTE }));
    await store.sessions.create(newSession('s-old', 'u1', { expiresAt: T0 }));
    await store.sessions.create(newSession('s-live', 'u1', { expiresAt: T0 + MINUTE }));
    await store.sessions.addClient('sid-s-old', 'rp', T0 - MINUTE);
    expect(await sweepExpired(store, T0)).toBe(4);
    expect(await store.sessions.clientsOf('sid-s-old')).toEqual([]);
    expect(await store.sessions.findLive('s-live', T0)).not.toBeNull();
    expect(await store.codes.find('old')).toBeNull();
    expect(await store.codes.find('live')).not.toBeNull();
    expect(await store.accessTokens.findLive('at-live', T0)).not.toBeNull();
    expect(await sweepExpired(store, T0)).toBe(0);
  });

  it('removes the rows unauthenticated requests leave, used or not, once expired: pending sign-ins, passkey challenges and admission counters', async () => {
    await seedUserAndClient(store);
    const request = (idHash: string, expiresAt: number) => ({ idHash, browserHash: 'b', clientId: 'rp', params: { state: 's' }, createdAt: T0 - 30 * MINUTE, expiresAt });
    const challenge = (idHash: string, expiresAt: number) => ({ idHash, purpose: 'passkey_sign_in' as const, browserHash: 'b', userId: null, value: 'c', createdAt: T0 - 5 * MINUTE, expiresAt });
    await store.authorizationRequests.create(request('r-expired', T0));
    await store.authorizationRequests.create(request('r-used-expired', T0));
    await store.authorizationRequests.create(request('r-live', T0 + MINUTE));
    expect(await store.authorizationRequests.consume('r-used-expired', T0 - MINUTE)).not.toBeNull();
    await store.signInChallenges.create(challenge('c-expired', T0));
    await store.signInChallenges.create(challenge('c-used-expired', T0));
    await store.signInChallenges.create(challenge('c-live', T0 + MINUTE));
    expect(await store.signInChallenges.consume('c-used-expired', 'passkey_sign_in', T0 - MINUTE)).not.toBeNull();
    // An admission counter lasts as long as its window.
    const rule = THROTTLE_RULES.admission;
    await store.throttle.attempt('authorize:address:192.0.2.1', rule, T0 - rule.windowMs);
    await store.throttle.attempt('authorize:address:192.0.2.2', rule, T0 - rule.windowMs + 1);

    expect(await sweepExpired(store, T0)).toBe(5);
    expect(await store.authorizationRequests.findLive('r-live', T0)).not.toBeNull();
    expect(await store.signInChallenges.findLive('c-live', 'passkey_sign_in', T0)).not.toBeNull();
    expect(await store.throttle.peek('authorize:address:192.0.2.1', T0 - 1)).toBeNull();
    expect(await store.throttle.peek('authorize:address:192.0.2.2', T0)).toMatchObject({ attempts: 1 });
    expect(await sweepExpired(store, T0 + MINUTE)).toBe(3);
    expect(await sweepExpired(store, T0 + MINUTE)).toBe(0);
  });

  it('removes expired device authorizations, spent or not, and expired client assertion jtis (issue 22), and keeps live ones', async () => {
    await seedUserAndClient(store);
    const device = (hash: string, expiresAt: number) => ({
      deviceCodeHash: hash,
      userCodeHash: `u-${hash}`,
      clientId: 'rp',
      scope: 'openid',
      resources: [],
      createdAt: T0 - 10 * MINUTE,
      expiresAt,
      interval: 5,
    });
    await store.deviceCodes.create(device('d-expired', T0));
    await store.deviceCodes.create(device('d-spent-expired', T0));
    await store.deviceCodes.create(device('d-live', T0 + MINUTE));
    await store.deviceCodes.approve('u-d-spent-expired', { userId: 'u1', sessionIdHash: null, sid: null, amr: ['pwd'], authTime: T0 - MINUTE }, T0 - MINUTE);
    expect(await store.deviceCodes.consume('d-spent-expired', T0 - MINUTE)).not.toBeNull();
    await store.clientAssertions.use('rp', 'jti-expired', T0);
    await store.clientAssertions.use('rp', 'jti-live', T0 + MINUTE);

    expect(await sweepExpired(store, T0)).toBe(3);
    expect(await store.deviceCodes.find('d-expired')).toBeNull();
    expect(await store.deviceCodes.find('d-spent-expired')).toBeNull();
    expect(await store.deviceCodes.find('d-live')).not.toBeNull();
    expect(await store.clientAssertions.use('rp', 'jti-live', T0 + MINUTE)).toBe(false);
    expect(await store.clientAssertions.use('rp', 'jti-expired', T0 + MINUTE)).toBe(true);
    expect(await sweepExpired(store, T0 + MINUTE)).toBe(3);
  });

  it('removes expired pushed requests, spent or not, and expired used jtis (issue 28), and keeps live ones', async () => {
    await seedUserAndClient(store);
    const pushed = (uriHash: string, expiresAt: number) => ({ uriHash, clientId: 'rp', params: { scope: 'openid' }, createdAt: expiresAt - MINUTE, expiresAt });
    await store.pushedRequests.create(pushed('p-expired', T0));
    await store.pushedRequests.create(pushed('p-spent-expired', T0));
    expect(await store.pushedRequests.consume('p-spent-expired', 'rp', T0 - 1)).not.toBeNull();
    await store.pushedRequests.create(pushed('p-live', T0 + MINUTE));
    await store.usedJtis.use('dpop_proof', 'key-thumbprint', 'proof-expired', T0);
    await store.usedJtis.use('request_object', 'rp', 'object-expired', T0);
    await store.usedJtis.use('dpop_proof', 'key-thumbprint', 'proof-live', T0 + MINUTE);

    expect(await sweepExpired(store, T0)).toBe(4);
    expect(await store.usedJtis.use('dpop_proof', 'key-thumbprint', 'proof-live', T0 + MINUTE)).toBe(false);
    expect(await store.usedJtis.use('dpop_proof', 'key-thumbprint', 'proof-expired', T0 + MINUTE)).toBe(true);
    expect(await store.pushedRequests.consume('p-live', 'rp', T0)).not.toBeNull();
    // p-live, proof-live and proof-expired (used again above, until T0 + MINUTE).
    expect(await sweepExpired(store, T0 + MINUTE)).toBe(3);
  });
});
