// Store contract: what one token response issued (IssuanceRepository), recorded together. Shared engines,
// setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { NewAccessToken } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, newAccessToken, newSession, newToken, seedUserAndClient, T0 } from './engines.js';

const accessToken = (jti: string, overrides: Partial<NewAccessToken> = {}): NewAccessToken => newAccessToken(jti, { sessionIdHash: 's1', kid: 'k1', ...overrides });

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('issuance', () => {
    it('records the access token, the client among the session’s, and the refresh token of one response', async () => {
      await seedUserAndClient(store);
      await store.sessions.create(newSession('s1', 'u1'));
      const refresh = newToken(hashSecret('refresh'), 'u1', 'rp', { sessionIdHash: 's1', sid: 'sid-s1' });
      await store.issuance.record({ accessToken: accessToken('j1'), sessionClient: { sid: 'sid-s1', clientId: 'rp', at: T0 }, refreshToken: refresh });
      expect(await store.accessTokens.findLive('j1', T0 + 1)).toMatchObject({ jti: 'j1', grantId: 'grant-1', kid: 'k1' });
      expect(await store.sessions.clientsOf('sid-s1')).toEqual(['rp']);
      expect(await store.refreshTokens.find(refresh.tokenHash)).toMatchObject({ grantId: 'grant-1', sid: 'sid-s1', rotatedAt: null });
      // A second response in the same session adds no second entry for the client.
      await store.issuance.record({ accessToken: accessToken('j2'), sessionClient: { sid: 'sid-s1', clientId: 'rp', at: T0 + 5 }, refreshToken: null });
      expect(await store.sessions.clientsOf('sid-s1')).toEqual(['rp']);
    });

    it('records only the access token when there is no session and no refresh token', async () => {
      await seedUserAndClient(store);
      await store.issuance.record({ accessToken: accessToken('j1', { sessionIdHash: null }), sessionClient: null, refreshToken: null });
      expect(await store.accessTokens.findLive('j1', T0 + 1)).toMatchObject({ jti: 'j1', sessionIdHash: null });
    });

    it("records an API token's audience, scope, format and auth_time, and the refresh token's resources (issue 22)", async () => {
      await seedUserAndClient(store);
      await store.sessions.create(newSession('s1', 'u1'));
      const access = accessToken('opaque-hash', { format: 'opaque', kid: null, audience: 'https://orders.example/api', scope: 'orders:read', authTime: T0 - 5 });
      const refresh = newToken(hashSecret('refresh'), 'u1', 'rp', { sessionIdHash: 's1', resources: ['https://orders.example/api', 'https://billing.example/'] });
      await store.issuance.record({ accessToken: access, sessionClient: { sid: 'sid-s1', clientId: 'rp', at: T0 }, refreshToken: refresh });
      expect(await store.accessTokens.findLive('opaque-hash', T0 + 1)).toEqual({ ...access, revokedAt: null });
      expect(await store.refreshTokens.find(refresh.tokenHash)).toEqual({ ...refresh, rotatedAt: null, revokedAt: null });
    });

    it("records a machine's token alone: no person, no session, no refresh token (client_credentials, issue 22)", async () => {
      await seedUserAndClient(store);
      const access = accessToken('m2m', { userId: null, sessionIdHash: null, authTime: null, audience: 'https://orders.example/api', scope: 'orders:read', grantId: 'random-grant' });
      await store.issuance.record({ accessToken: access, sessionClient: null, refreshToken: null });
      expect(await store.accessTokens.findLive('m2m', T0 + 1)).toEqual({ ...access, revokedAt: null });
    });

    it('adds no client to a session that has ended, and still records the tokens', async () => {
      await seedUserAndClient(store);
      await store.issuance.record({ accessToken: accessToken('j1'), sessionClient: { sid: 'sid-gone', clientId: 'rp', at: T0 }, refreshToken: null });
      expect(await store.sessions.clientsOf('sid-gone')).toEqual([]);
      expect(await store.accessTokens.findLive('j1', T0 + 1)).not.toBeNull();
    });
  });
});
