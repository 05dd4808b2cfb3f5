// Store contract: what one token response issued (IssuanceRepository), recorded together. Shared engines,
// setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { NewAccessToken } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newAccessToken, newCode, newSession, newToken, seedUserAndClient, T0 } from './engines.js';

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

    describe('spending the credential of the response (issue 27)', () => {
      it('rotates the presented refresh token and records its successor; a second spender records nothing', async () => {
        await seedUserAndClient(store);
        const presented = newToken(hashSecret('presented'), 'u1', 'rp');
        await store.refreshTokens.create(presented);
        const successor = newToken(hashSecret('successor'), 'u1', 'rp');
        const spends = { kind: 'refresh_token' as const, hash: presented.tokenHash, at: T0 + 10 };
        expect(await store.issuance.record({ accessToken: accessToken('j1', { sessionIdHash: null }), sessionClient: null, refreshToken: successor, spends })).toBe(true);
        expect(await store.refreshTokens.find(presented.tokenHash)).toMatchObject({ rotatedAt: T0 + 10, revokedAt: null });
        expect(await store.refreshTokens.find(successor.tokenHash)).toMatchObject({ rotatedAt: null });
        const other = newToken(hashSecret('other successor'), 'u1', 'rp');
        expect(await store.issuance.record({ accessToken: accessToken('j2', { sessionIdHash: null }), sessionClient: null, refreshToken: other, spends: { ...spends, at: T0 + 20 } })).toBe(false);
        expect(await store.accessTokens.findLive('j2', T0 + 21)).toBeNull();
        expect(await store.refreshTokens.find(other.tokenHash)).toBeNull();
        expect(await store.refreshTokens.find(presented.tokenHash)).toMatchObject({ rotatedAt: T0 + 10 });
      });

      it('spends nothing and records nothing for a revoked, expired or unknown refresh token', async () => {
        await seedUserAndClient(store);
        await store.refreshTokens.create(newToken(hashSecret('revoked'), 'u1', 'rp', { grantId: 'g-revoked' }));
        await store.refreshTokens.revokeGrant('g-revoked', T0 + 1);
        await store.refreshTokens.create(newToken(hashSecret('expired'), 'u1', 'rp', { expiresAt: T0 + 5 }));
        for (const [jti, hash] of [
          ['j-revoked', hashSecret('revoked')],
          ['j-expired', hashSecret('expired')],
          ['j-unknown', hashSecret('unknown')],
        ] as const) {
          const spends = { kind: 'refresh_token' as const, hash, at: T0 + 10 };
          expect(await store.issuance.record({ accessToken: accessToken(jti, { sessionIdHash: null }), sessionClient: null, refreshToken: null, spends })).toBe(false);
          expect(await store.accessTokens.findLive(jti, T0 + 11)).toBeNull();
        }
        expect(await store.refreshTokens.find(hashSecret('expired'))).toMatchObject({ rotatedAt: null });
      });

      it('redeems an authorization code once; an expired code is not spent', async () => {
        await seedUserAndClient(store);
        await store.codes.create(newCode('c1', 'u1', 'rp'));
        await store.codes.create(newCode('c-old', 'u1', 'rp', { expiresAt: T0 + 5 }));
        const spends = { kind: 'authorization_code' as const, hash: 'c1', at: T0 + 10 };
        expect(await store.issuance.record({ accessToken: accessToken('j1', { sessionIdHash: null }), sessionClient: null, refreshToken: null, spends })).toBe(true);
        expect(await store.codes.find('c1')).toMatchObject({ consumedAt: T0 + 10 });
        expect(await store.issuance.record({ accessToken: accessToken('j2', { sessionIdHash: null }), sessionClient: null, refreshToken: null, spends })).toBe(false);
        expect(await store.accessTokens.findLive('j2', T0 + 11)).toBeNull();
        const late = { kind: 'authorization_code' as const, hash: 'c-old', at: T0 + MINUTE };
        expect(await store.issuance.record({ accessToken: accessToken('j3', { sessionIdHash: null }), sessionClient: null, refreshToken: null, spends: late })).toBe(false);
        expect(await store.codes.find('c-old')).toMatchObject({ consumedAt: null });
      });

      it('of concurrent spenders of one refresh token, exactly one records its tokens', async () => {
        await seedUserAndClient(store);
        const presented = newToken(hashSecret('raced'), 'u1', 'rp');
        await store.refreshTokens.create(presented);
        const spenders = Array.from({ length: 8 }, (_, i) =>
          store.issuance.record({
            accessToken: accessToken(`race-${i}`, { sessionIdHash: null }),
            sessionClient: null,
            refreshToken: newToken(hashSecret(`successor-${i}`), 'u1', 'rp'),
            spends: { kind: 'refresh_token', hash: presented.tokenHash, at: T0 + 10 },
          }),
        );
        const won = await Promise.all(spenders);
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = won.indexOf(true);
        for (let i = 0; i < won.length; i++) {
          expect(await store.accessTokens.findLive(`race-${i}`, T0 + 11)).toEqual(i === winner ? expect.objectContaining({ jti: `race-${i}` }) : null);
          expect(await store.refreshTokens.find(hashSecret(`successor-${i}`))).toEqual(i === winner ? expect.objectContaining({ rotatedAt: null }) : null);
        }
      });
    });
  });
});
