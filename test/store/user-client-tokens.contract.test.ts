// Store contract: what a person's applications hold (issue 24, "Connected apps"): the applications with live
// refresh tokens of the person (RefreshTokenRepository.clientsOfUser), and removing one application's access:
// its unused codes, refresh tokens and recorded access tokens of that person revoked (revokeForUserClient), no
// other application's and no other person's. Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newAccessToken, newClient, newCode, newToken, newUser, T0 } from './engines.js';

const DAY = 24 * 60 * MINUTE;

async function seed(store: Store): Promise<void> {
  await store.users.create(newUser('u1', 'one@example.com'), T0);
  await store.users.create(newUser('u2', 'two@example.com'), T0);
  for (const id of ['rp', 'spa', 'old']) await store.clients.create(newClient(id, id), T0);
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('a person’s applications on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('clientsOfUser', () => {
    it('names each application holding live refresh tokens once, newest first, with the union of their scopes', async () => {
      await seed(store);
      // rp: two grants with different scopes, the newer one issued last.
      await store.refreshTokens.create(newToken('rp-1', 'u1', 'rp', { grantId: 'g-rp-1', scope: 'openid email offline_access', createdAt: T0 }));
      await store.refreshTokens.create(newToken('rp-2', 'u1', 'rp', { grantId: 'g-rp-2', scope: 'openid profile offline_access', createdAt: T0 + 3 * MINUTE }));
      await store.refreshTokens.create(newToken('rp-3', 'u1', 'rp', { grantId: 'g-rp-3', scope: 'openid profile offline_access', createdAt: T0 + MINUTE }));
      // spa: one token, issued between.
      await store.refreshTokens.create(newToken('spa-1', 'u1', 'spa', { grantId: 'g-spa', scope: 'openid', createdAt: T0 + 2 * MINUTE }));
      // Another person's token is not theirs.
      await store.refreshTokens.create(newToken('u2-old', 'u2', 'old', { grantId: 'g-u2', createdAt: T0 + 5 * MINUTE }));
      expect(await store.refreshTokens.clientsOfUser('u1', T0 + 10 * MINUTE)).toEqual([
        { clientId: 'rp', scopes: ['openid', 'profile', 'offline_access', 'email'], lastIssuedAt: T0 + 3 * MINUTE },
        { clientId: 'spa', scopes: ['openid'], lastIssuedAt: T0 + 2 * MINUTE },
      ]);
      expect(await store.refreshTokens.clientsOfUser('u2', T0 + 10 * MINUTE)).toEqual([{ clientId: 'old', scopes: ['openid', 'offline_access'], lastIssuedAt: T0 + 5 * MINUTE }]);
      expect(await store.refreshTokens.clientsOfUser('nobody', T0)).toEqual([]);
    });

    it('leaves out rotated, revoked and expired tokens (expired from their expiry instant on)', async () => {
      await seed(store);
      // A refresh: the rotated token's scope and time no longer count, its successor's do.
      await store.refreshTokens.create(newToken('rp-spent', 'u1', 'rp', { grantId: 'g-rp', scope: 'openid email offline_access', createdAt: T0 }));
      await store.refreshTokens.rotate('rp-spent', T0 + MINUTE);
      await store.refreshTokens.create(newToken('rp-next', 'u1', 'rp', { grantId: 'g-rp', scope: 'openid offline_access', createdAt: T0 + MINUTE }));
      await store.refreshTokens.create(newToken('spa-revoked', 'u1', 'spa', { grantId: 'g-spa', createdAt: T0 + 2 * MINUTE }));
      await store.refreshTokens.revokeGrant('g-spa', T0 + 2 * MINUTE);
      await store.refreshTokens.create(newToken('old-expiring', 'u1', 'old', { grantId: 'g-old', createdAt: T0, expiresAt: T0 + DAY }));
      expect(await store.refreshTokens.clientsOfUser('u1', T0 + DAY - 1)).toEqual([
        { clientId: 'rp', scopes: ['openid', 'offline_access'], lastIssuedAt: T0 + MINUTE },
        { clientId: 'old', scopes: ['openid', 'offline_access'], lastIssuedAt: T0 },
      ]);
      expect((await store.refreshTokens.clientsOfUser('u1', T0 + DAY)).map((summary) => summary.clientId)).toEqual(['rp']);
    });
  });

  describe('revokeForUserClient', () => {
    it('revokes the person’s refresh tokens at the application, rotated ones too, and counts the live ones', async () => {
      await seed(store);
      await store.refreshTokens.create(newToken('rp-spent', 'u1', 'rp', { grantId: 'g-rp' }));
      await store.refreshTokens.rotate('rp-spent', T0 + 1);
      await store.refreshTokens.create(newToken('rp-next', 'u1', 'rp', { grantId: 'g-rp', createdAt: T0 + 1 }));
      await store.refreshTokens.create(newToken('rp-other-grant', 'u1', 'rp', { grantId: 'g-rp-2' }));
      await store.refreshTokens.create(newToken('rp-expired', 'u1', 'rp', { grantId: 'g-rp-3', expiresAt: T0 + MINUTE }));
      await store.refreshTokens.create(newToken('rp-revoked', 'u1', 'rp', { grantId: 'g-rp-4' }));
      await store.refreshTokens.revokeGrant('g-rp-4', T0 + 2);
      await store.refreshTokens.create(newToken('spa-1', 'u1', 'spa', { grantId: 'g-spa' }));
      await store.refreshTokens.create(newToken('u2-rp', 'u2', 'rp', { grantId: 'g-u2' }));

      expect(await store.refreshTokens.revokeForUserClient('u1', 'rp', T0 + 2 * MINUTE)).toBe(2);
      for (const hash of ['rp-spent', 'rp-next', 'rp-other-grant']) expect(await store.refreshTokens.find(hash)).toMatchObject({ revokedAt: T0 + 2 * MINUTE });
      // A revoked token keeps the time it was first revoked; an expired one is left as it was.
      expect(await store.refreshTokens.find('rp-revoked')).toMatchObject({ revokedAt: T0 + 2 });
      expect(await store.refreshTokens.find('rp-expired')).toMatchObject({ revokedAt: null });
      expect(await store.refreshTokens.rotate('rp-next', T0 + 3 * MINUTE)).toBeNull();
      // No other application's and no other person's.
      expect(await store.refreshTokens.find('spa-1')).toMatchObject({ revokedAt: null });
      expect(await store.refreshTokens.find('u2-rp')).toMatchObject({ revokedAt: null });
      expect((await store.refreshTokens.clientsOfUser('u1', T0 + 3 * MINUTE)).map((summary) => summary.clientId)).toEqual(['spa']);
      expect(await store.refreshTokens.revokeForUserClient('u1', 'rp', T0 + 3 * MINUTE)).toBe(0);
    });

    it('revokes the person’s live access tokens at the application and no others', async () => {
      await seed(store);
      await store.accessTokens.create(newAccessToken('at-1', { userId: 'u1', clientId: 'rp', grantId: 'g1' }));
      await store.accessTokens.create(newAccessToken('at-2', { userId: 'u1', clientId: 'rp', grantId: 'g2' }));
      await store.accessTokens.create(newAccessToken('at-expired', { userId: 'u1', clientId: 'rp', grantId: 'g3', expiresAt: T0 + 1 }));
      await store.accessTokens.create(newAccessToken('at-spa', { userId: 'u1', clientId: 'spa', grantId: 'g4' }));
      await store.accessTokens.create(newAccessToken('at-u2', { userId: 'u2', clientId: 'rp', grantId: 'g5' }));
      await store.accessTokens.revoke('at-2', T0 + 1);
      expect(await store.accessTokens.revokeForUserClient('u1', 'rp', T0 + 2)).toBe(1);
      expect(await store.accessTokens.findLive('at-1', T0 + 2)).toBeNull();
      expect(await store.accessTokens.findLive('at-spa', T0 + 2)).not.toBeNull();
      expect(await store.accessTokens.findLive('at-u2', T0 + 2)).not.toBeNull();
      expect(await store.accessTokens.revokeForUserClient('u1', 'rp', T0 + 3)).toBe(0);
    });

    it('spends the person’s unused codes for the application and no others; a spent code is answered as a replay', async () => {
      await seed(store);
      await store.codes.create(newCode('c-1', 'u1', 'rp'));
      await store.codes.create(newCode('c-used', 'u1', 'rp'));
      await store.codes.consume('c-used', T0 + 1);
      await store.codes.create(newCode('c-expired', 'u1', 'rp', { expiresAt: T0 + 1 }));
      await store.codes.create(newCode('c-spa', 'u1', 'spa'));
      await store.codes.create(newCode('c-u2', 'u2', 'rp'));
      expect(await store.codes.revokeForUserClient('u1', 'rp', T0 + 2)).toBe(1);
      expect(await store.codes.consume('c-1', T0 + 3)).toBeNull();
      expect(await store.codes.find('c-1')).toMatchObject({ consumedAt: T0 + 2 });
      expect(await store.codes.find('c-used')).toMatchObject({ consumedAt: T0 + 1 });
      expect(await store.codes.consume('c-spa', T0 + 3)).not.toBeNull();
      expect(await store.codes.consume('c-u2', T0 + 3)).not.toBeNull();
      expect(await store.codes.revokeForUserClient('u1', 'rp', T0 + 4)).toBe(0);
    });
  });
});
