// Store contract: the issue-28 columns (migration 0018) round-trip on every engine: a client's
// require_pushed_authorization_requests (RFC 9126 §6) and dpop_bound_access_tokens (RFC 9449 §5.2), created and
// patched; the DPoP key thumbprint (RFC 7638) an access token, a refresh token or a code is bound to. The store keeps
// what it is given: which successor is bound is the grant's decision (RFC 9449 §5), never carried over here.
// Shared pieces: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { Store } from '../../src/store/store.js';
import { CLIENT_DEFAULTS, engines, freshStorePerTest, MINUTE, newAccessToken, newClient, newCode, newToken, seedUserAndClient, T0 } from './engines.js';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const OTHER_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('client flags (issue 28)', () => {
    it('creates a client requiring neither PAR nor DPoP when NewClient leaves the flags out', async () => {
      const created = await store.clients.create(newClient('rp', 'RP'), T0);
      expect(created).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
      expect(await store.clients.findById('rp')).toEqual(created);
      expect(created).toMatchObject(CLIENT_DEFAULTS);
    });

    it('keeps both flags as given, read back by findById and list', async () => {
      const input = newClient('fapi', 'FAPI app', { requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
      const created = await store.clients.create(input, T0);
      expect(created).toEqual({ ...CLIENT_DEFAULTS, ...input, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.clients.findById('fapi')).toEqual(created);
      expect((await store.clients.list({ limit: 10 })).items).toEqual([created]);
      await store.clients.create(newClient('par-only', 'PAR only', { requirePushedAuthorizationRequests: true }), T0);
      expect(await store.clients.findById('par-only')).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: false });
    });

    it('patches each flag on its own, touching nothing else', async () => {
      const before = await store.clients.create(newClient('rp', 'RP'), T0);
      expect(await store.clients.update('rp', { requirePushedAuthorizationRequests: true }, T0 + 1)).toEqual({
        ...before,
        requirePushedAuthorizationRequests: true,
        updatedAt: T0 + 1,
        version: 2,
      });
      expect(await store.clients.update('rp', { dpopBoundAccessTokens: true }, T0 + 2)).toEqual({
        ...before,
        requirePushedAuthorizationRequests: true,
        dpopBoundAccessTokens: true,
        updatedAt: T0 + 2,
        version: 3,
      });
      expect(await store.clients.update('rp', { requirePushedAuthorizationRequests: false, name: 'Renamed' }, T0 + 3)).toMatchObject({
        name: 'Renamed',
        requirePushedAuthorizationRequests: false,
        dpopBoundAccessTokens: true,
      });
      expect(await store.clients.findById('rp')).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: true, version: 4 });
    });
  });

  describe('DPoP bindings (issue 28)', () => {
    it("keeps an access token's jkt, and null for a bearer token", async () => {
      await seedUserAndClient(store);
      await store.accessTokens.create(newAccessToken('bound', { jkt: JKT }));
      await store.accessTokens.create(newAccessToken('bearer'));
      // A NewAccessToken written without the field (as before issue 28) reads back as a bearer token.
      const { jkt: _omitted, ...legacy } = newAccessToken('legacy');
      await store.accessTokens.create(legacy);
      expect(await store.accessTokens.findLive('bound', T0 + 1)).toEqual({ ...newAccessToken('bound', { jkt: JKT }), revokedAt: null });
      expect(await store.accessTokens.findLive('bearer', T0 + 1)).toMatchObject({ jkt: null });
      expect(await store.accessTokens.findLive('legacy', T0 + 1)).toMatchObject({ jkt: null });
    });

    it("keeps a refresh token's jkt through find and rotate, and gives a successor only the jkt it is given", async () => {
      await seedUserAndClient(store);
      const bound = newToken(hashSecret('bound'), 'u1', 'rp', { jkt: JKT });
      await store.refreshTokens.create(bound);
      expect(await store.refreshTokens.find(bound.tokenHash)).toEqual({ ...bound, rotatedAt: null, revokedAt: null });
      expect(await store.refreshTokens.rotate(bound.tokenHash, T0 + 1)).toEqual({ ...bound, rotatedAt: T0 + 1, revokedAt: null });
      // The successor as the grant wrote it: unbound (a confidential client's) or bound to another key.
      const unbound = newToken(hashSecret('unbound'), 'u1', 'rp');
      await store.refreshTokens.create(unbound);
      expect(await store.refreshTokens.find(unbound.tokenHash)).toMatchObject({ jkt: null });
      const rebound = newToken(hashSecret('rebound'), 'u1', 'rp', { jkt: OTHER_JKT });
      await store.refreshTokens.create(rebound);
      expect(await store.refreshTokens.find(rebound.tokenHash)).toMatchObject({ jkt: OTHER_JKT });
    });

    it("keeps a code's dpopJkt through consume and find, and null for an unbound code", async () => {
      await seedUserAndClient(store);
      const bound = newCode('c-bound', 'u1', 'rp', { dpopJkt: JKT });
      await store.codes.create(bound);
      await store.codes.create(newCode('c-free', 'u1', 'rp'));
      expect(await store.codes.find('c-bound')).toEqual({ ...bound, consumedAt: null, replayedAt: null });
      expect(await store.codes.consume('c-bound', T0 + 1)).toEqual({ ...bound, consumedAt: T0 + 1, replayedAt: null });
      expect(await store.codes.consume('c-free', T0 + 1)).toMatchObject({ dpopJkt: null });
    });

    it('records a bound access token and refresh token in one issuance, spending the bound code', async () => {
      await seedUserAndClient(store);
      await store.codes.create(newCode('c1', 'u1', 'rp', { dpopJkt: JKT }));
      const refresh = newToken(hashSecret('r1'), 'u1', 'rp', { jkt: JKT });
      const recorded = await store.issuance.record({
        accessToken: newAccessToken('j1', { jkt: JKT }),
        sessionClient: null,
        refreshToken: refresh,
        spends: { kind: 'authorization_code', hash: 'c1', at: T0 + 1 },
      });
      expect(recorded).toBe(true);
      expect(await store.accessTokens.findLive('j1', T0 + 2)).toMatchObject({ jkt: JKT });
      expect(await store.refreshTokens.find(refresh.tokenHash)).toMatchObject({ jkt: JKT });
      expect(await store.codes.find('c1')).toMatchObject({ dpopJkt: JKT, consumedAt: T0 + 1 });
      expect(await store.accessTokens.findLive('j1', T0 + 10 * MINUTE)).toBeNull();
    });
  });
});
