// Store contract: pending authorization requests and access-token records. Shared pieces: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewAuthorizationRequest } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newAccessToken, seedUserAndClient, T0 } from './engines.js';

function pending(idHash: string, overrides: Partial<NewAuthorizationRequest> = {}): NewAuthorizationRequest {
  return {
    idHash,
    browserHash: 'browser-1',
    clientId: 'rp',
    params: { redirect_uri: 'https://rp.example/cb', state: 'a b&c', scope: 'openid email' },
    createdAt: T0,
    expiresAt: T0 + 30 * MINUTE,
    ...overrides,
  };
}

const accessToken = newAccessToken;

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });
  beforeEach(() => seedUserAndClient(store));

  describe('pending authorization requests (single use)', () => {
    it('finds a live request with its parameters intact', async () => {
      await store.authorizationRequests.create(pending('r1'));
      expect(await store.authorizationRequests.findLive('r1', T0 + 1)).toEqual({ ...pending('r1'), consumedAt: null });
      expect(await store.authorizationRequests.findLive('unknown', T0)).toBeNull();
    });

    it('is consumed once; a second consumption and a later look-up find nothing', async () => {
      await store.authorizationRequests.create(pending('r1'));
      expect(await store.authorizationRequests.consume('r1', T0 + 5)).toMatchObject({ idHash: 'r1', consumedAt: T0 + 5 });
      expect(await store.authorizationRequests.consume('r1', T0 + 6)).toBeNull();
      expect(await store.authorizationRequests.findLive('r1', T0 + 6)).toBeNull();
    });

    it('gives exactly one winner to twenty concurrent consumptions', async () => {
      await store.authorizationRequests.create(pending('r1'));
      const results = await Promise.all(Array.from({ length: 20 }, () => store.authorizationRequests.consume('r1', T0 + 1)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('ignores and then deletes an expired request', async () => {
      await store.authorizationRequests.create(pending('old', { expiresAt: T0 }));
      await store.authorizationRequests.create(pending('live'));
      expect(await store.authorizationRequests.findLive('old', T0)).toBeNull();
      expect(await store.authorizationRequests.consume('old', T0)).toBeNull();
      expect(await store.authorizationRequests.deleteExpired(T0)).toBe(1);
      expect(await store.authorizationRequests.findLive('live', T0)).not.toBeNull();
    });

    it('goes with its client when the client is deleted', async () => {
      await store.authorizationRequests.create(pending('r1'));
      await store.clients.delete('rp');
      expect(await store.authorizationRequests.findLive('r1', T0)).toBeNull();
    });
  });

  describe('access-token records (revocable before expiry)', () => {
    it('finds a live token and ignores an unknown or expired one', async () => {
      await store.accessTokens.create(accessToken('a1'));
      expect(await store.accessTokens.findLive('a1', T0 + 1)).toEqual({ ...accessToken('a1'), revokedAt: null });
      expect(await store.accessTokens.findLive('a1', T0 + 10 * MINUTE)).toBeNull();
      expect(await store.accessTokens.findLive('nope', T0)).toBeNull();
    });

    it("records a machine's opaque token with no person, its audience, scope and format, and reads them back (issue 22)", async () => {
      const machine = accessToken('sha256-of-the-token', {
        userId: null,
        format: 'opaque',
        audience: 'https://orders.example/api',
        scope: 'orders:read orders:write',
        authTime: null,
        grantId: 'grant-m2m',
      });
      await store.accessTokens.create(machine);
      expect(await store.accessTokens.findLive('sha256-of-the-token', T0 + 1)).toEqual({ ...machine, revokedAt: null });
      // A person's token keeps the time they signed in.
      await store.accessTokens.create(accessToken('a1', { authTime: T0 - MINUTE }));
      expect(await store.accessTokens.findLive('a1', T0 + 1)).toMatchObject({ userId: 'u1', format: 'jwt', authTime: T0 - MINUTE, audience: 'https://idp.example/userinfo' });
      // Revoking a person's tokens leaves the machine's alone; revoking its grant or the token itself reaches it.
      expect(await store.accessTokens.revokeForUser('u1', T0 + 2)).toBe(1);
      expect(await store.accessTokens.findLive('sha256-of-the-token', T0 + 2)).not.toBeNull();
      expect(await store.accessTokens.revokeGrant('grant-m2m', T0 + 3)).toBe(1);
      expect(await store.accessTokens.findLive('sha256-of-the-token', T0 + 3)).toBeNull();
    });

    it('revokes every live token of a grant and counts them, leaving other grants alone', async () => {
      await store.accessTokens.create(accessToken('a1'));
      await store.accessTokens.create(accessToken('a2'));
      await store.accessTokens.create(accessToken('b1', { grantId: 'grant-2' }));
      expect(await store.accessTokens.revokeGrant('grant-1', T0 + 1)).toBe(2);
      expect(await store.accessTokens.revokeGrant('grant-1', T0 + 2)).toBe(0);
      expect(await store.accessTokens.findLive('a1', T0 + 3)).toBeNull();
      expect(await store.accessTokens.findLive('b1', T0 + 3)).not.toBeNull();
    });

    it('revokes every live token of a user and counts them', async () => {
      await store.accessTokens.create(accessToken('a1'));
      await store.accessTokens.create(accessToken('c1', { userId: 'u2' }));
      expect(await store.accessTokens.revokeForUser('u1', T0 + 1)).toBe(1);
      expect(await store.accessTokens.findLive('a1', T0 + 1)).toBeNull();
      expect(await store.accessTokens.findLive('c1', T0 + 1)).not.toBeNull();
    });

    it('deletes expired records, and records go with their user', async () => {
      await store.accessTokens.create(accessToken('old', { expiresAt: T0 }));
      await store.accessTokens.create(accessToken('a1'));
      expect(await store.accessTokens.deleteExpired(T0)).toBe(1);
      await store.users.delete('u1');
      expect(await store.accessTokens.findLive('a1', T0)).toBeNull();
    });
  });
});
