// Store contract: what ending a session and revoking a key need — session-bound revocation, the clients a
// session served, and the grants a key signed for. Shared engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newAccessToken, newClient, newSession, newToken, seedUserAndClient, T0 } from './engines.js';

const accessToken = newAccessToken;

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  beforeEach(async () => {
    await seedUserAndClient(store);
    await store.clients.create(newClient('crm', 'CRM'), T0);
  });

  describe('the clients a session served (Back-Channel Logout 1.0 §2.5)', () => {
    it('remembers each client once, in the order they first received tokens', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.addClient('sid-s1', 'crm', T0 + 1);
      await store.sessions.addClient('sid-s1', 'rp', T0 + 2);
      await store.sessions.addClient('sid-s1', 'crm', T0 + 3);
      expect(await store.sessions.clientsOf('sid-s1')).toEqual(['crm', 'rp']);
      expect(await store.sessions.clientsOf('sid-unknown')).toEqual([]);
    });

    it('adds nothing to a session that has ended, and forgets the clients when the session goes', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.addClient('sid-s1', 'rp', T0);
      await store.sessions.delete('s1');
      await store.sessions.addClient('sid-s1', 'crm', T0 + 1);
      expect(await store.sessions.clientsOf('sid-s1')).toEqual([]);
    });
  });

  describe('revoking what a session holds', () => {
    it('revokes the session’s refresh tokens but keeps offline_access ones when asked to', async () => {
      await store.refreshTokens.create(newToken('online', 'u1', 'rp', { sessionIdHash: 's1', scope: 'openid email' }));
      await store.refreshTokens.create(newToken('offline', 'u1', 'rp', { sessionIdHash: 's1', scope: 'openid offline_access email' }));
      await store.refreshTokens.create(newToken('near-miss', 'u1', 'rp', { sessionIdHash: 's1', scope: 'openid offline_accessible' }));
      await store.refreshTokens.create(newToken('other-case', 'u1', 'rp', { sessionIdHash: 's1', scope: 'openid OFFLINE_ACCESS' }));
      await store.refreshTokens.create(newToken('wildcard', 'u1', 'rp', { sessionIdHash: 's1', scope: 'openid offline-access' }));
      await store.refreshTokens.create(newToken('other-session', 'u1', 'rp', { sessionIdHash: 's2', scope: 'openid' }));
      expect(await store.refreshTokens.revokeForSession('s1', T0 + 1, { keepOffline: true })).toBe(4);
      expect((await store.refreshTokens.find('other-case'))?.revokedAt).toBe(T0 + 1);
      expect((await store.refreshTokens.find('wildcard'))?.revokedAt).toBe(T0 + 1);
      expect((await store.refreshTokens.find('online'))?.revokedAt).toBe(T0 + 1);
      expect((await store.refreshTokens.find('near-miss'))?.revokedAt).toBe(T0 + 1);
      expect((await store.refreshTokens.find('offline'))?.revokedAt).toBeNull();
      expect((await store.refreshTokens.find('other-session'))?.revokedAt).toBeNull();
      expect(await store.refreshTokens.revokeForSession('s1', T0 + 2, { keepOffline: false })).toBe(1);
      expect((await store.refreshTokens.find('offline'))?.revokedAt).toBe(T0 + 2);
      expect((await store.refreshTokens.find('online'))?.revokedAt).toBe(T0 + 1);
    });

    it('revokes the session’s access tokens, and one access token by jti exactly once', async () => {
      await store.accessTokens.create(accessToken('a1', { sessionIdHash: 's1' }));
      await store.accessTokens.create(accessToken('a2', { sessionIdHash: 's1' }));
      await store.accessTokens.create(accessToken('b1', { sessionIdHash: 's2' }));
      expect(await store.accessTokens.revoke('b1', T0)).toBe(true);
      expect(await store.accessTokens.revoke('b1', T0 + 1)).toBe(false);
      expect(await store.accessTokens.revoke('nobody', T0)).toBe(false);
      expect(await store.accessTokens.revokeForSession('s1', T0)).toBe(2);
      expect(await store.accessTokens.findLive('a1', T0)).toBeNull();
      expect(await store.accessTokens.findLive('b1', T0)).toBeNull();
    });
  });

  describe('grants signed by a key (revoking a compromised key)', () => {
    it('lists each grant with its session once, from refresh and access tokens alike', async () => {
      await store.refreshTokens.create(newToken('r1', 'u1', 'rp', { grantId: 'g1', sessionIdHash: 's1', kid: 'k-old' }));
      await store.refreshTokens.create(newToken('r2', 'u1', 'rp', { grantId: 'g1', sessionIdHash: 's1', kid: 'k-old' }));
      await store.refreshTokens.create(newToken('r3', 'u1', 'rp', { grantId: 'g2', sessionIdHash: null, kid: 'k-new' }));
      await store.accessTokens.create(accessToken('a1', { grantId: 'g3', sessionIdHash: 's3', kid: 'k-old' }));
      await store.accessTokens.create(accessToken('a2', { grantId: 'g2', kid: 'k-new' }));
      expect(await store.refreshTokens.grantsSignedBy('k-old')).toEqual([{ grantId: 'g1', sessionIdHash: 's1' }]);
      expect(await store.accessTokens.grantsSignedBy('k-old')).toEqual([{ grantId: 'g3', sessionIdHash: 's3' }]);
      expect(await store.accessTokens.grantsSignedBy('k-unknown')).toEqual([]);
    });

    it('keeps the grant’s absolute end and the signing key on every refresh token', async () => {
      const token = newToken('r1', 'u1', 'rp', { grantExpiresAt: T0 + 99 * MINUTE, expiresAt: T0 + 9 * MINUTE, kid: 'k1' });
      await store.refreshTokens.create(token);
      expect(await store.refreshTokens.find('r1')).toMatchObject({ grantExpiresAt: T0 + 99 * MINUTE, expiresAt: T0 + 9 * MINUTE, kid: 'k1' });
    });
  });
});
