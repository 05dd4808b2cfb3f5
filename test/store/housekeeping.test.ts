import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepExpired } from '../../src/store/housekeeping.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { MINUTE, newCode, newSession, seedUserAndClient, T0 } from './engines.js';

describe('housekeeping', () => {
  let store: Store;
  let remove: () => void;

  beforeEach(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    await seedUserAndClient(store);
  });
  afterEach(async () => {
    await store.close();
    remove();
  });

  it('removes expired codes, pending sign-ins, sessions and access-token records, and keeps live ones', async () => {
    await store.codes.create(newCode('old', 'u1', 'rp', { expiresAt: T0 }));
    await store.codes.create(newCode('live', 'u1', 'rp', { expiresAt: T0 + MINUTE }));
    await store.authorizationRequests.create({ idHash: 'r-old', browserHash: 'b', clientId: 'rp', params: {}, createdAt: T0 - MINUTE, expiresAt: T0 });
    await store.accessTokens.create({ jti: 'at-old', grantId: 'g', clientId: 'rp', userId: 'u1', sessionIdHash: null, kid: null, createdAt: T0 - MINUTE, expiresAt: T0 });
    await store.accessTokens.create({ jti: 'at-live', grantId: 'g', clientId: 'rp', userId: 'u1', sessionIdHash: null, kid: null, createdAt: T0, expiresAt: T0 + MINUTE });
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
});
