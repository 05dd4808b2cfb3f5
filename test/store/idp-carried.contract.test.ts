// Store contract: the upstream provider a sign-in went through (`idp`, issue 23) is stored with the session and
// carried, as `amr` is, to its codes, refresh tokens (rotation's successor included) and device approvals: the ID
// token's `idp` claim comes from them. A sign-in at Gatehouse itself has none (NULL, read back as null).
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewAccessToken } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newAccessToken, newCode, newSession, newToken, seedUserAndClient, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });
  beforeEach(() => seedUserAndClient(store));

  describe('the upstream provider of a sign-in (idp)', () => {
    it('is stored with the session and read back by every way in; absent, it reads as null', async () => {
      const federated = newSession('s-fed', 'u1', { amr: ['fed', 'mfa'], idp: 'acme' });
      await store.sessions.create(federated);
      const { idp: _omitted, ...local } = newSession('s-local', 'u1', { createdAt: T0 - 1 });
      await store.sessions.create(local);
      expect(await store.sessions.findLive('s-fed', T0)).toEqual(federated);
      expect(await store.sessions.findLiveBySid('sid-s-fed', T0)).toEqual(federated);
      expect((await store.sessions.listForUser('u1', T0)).map((session) => [session.idHash, session.idp])).toEqual([
        ['s-fed', 'acme'],
        ['s-local', null],
      ]);
      expect(await store.sessions.findLive('s-local', T0)).toMatchObject({ idp: null });
    });

    it('goes from the session to its code, and from the code (found or redeemed) to the refresh token and each rotation', async () => {
      const session = newSession('s1', 'u1', { amr: ['fed'], idp: 'acme' });
      await store.sessions.create(session);
      await store.codes.create(newCode('c1', 'u1', 'rp', { sessionIdHash: 's1', sid: session.sid, amr: session.amr, idp: session.idp }));
      const { idp: _omitted, ...localCode } = newCode('c-local', 'u1', 'rp');
      await store.codes.create(localCode);
      expect(await store.codes.find('c1')).toMatchObject({ idp: 'acme' });
      expect(await store.codes.find('c-local')).toMatchObject({ idp: null });
      const code = await store.codes.consume('c1', T0 + 1);
      expect(code).toMatchObject({ idp: 'acme', amr: ['fed'] });

      // The token endpoint records the first refresh token with the code's idp (issuance, one transaction on SQLite).
      const first = newToken('rt1', 'u1', 'rp', { grantId: code?.grantId ?? '', sessionIdHash: 's1', amr: code?.amr ?? [], idp: code?.idp ?? null });
      const access: NewAccessToken = newAccessToken('at1', { grantId: first.grantId, sessionIdHash: 's1' });
      await store.issuance.record({ accessToken: access, sessionClient: { sid: session.sid, clientId: 'rp', at: T0 + 1 }, refreshToken: first });
      expect(await store.refreshTokens.find('rt1')).toEqual({ ...first, rotatedAt: null, revokedAt: null });

      // A refresh rotates it: the spent token read back carries the idp, and so does the successor written from it.
      const spent = await store.refreshTokens.rotate('rt1', T0 + MINUTE);
      expect(spent).toMatchObject({ idp: 'acme', rotatedAt: T0 + MINUTE });
      const successor = newToken('rt2', 'u1', 'rp', { grantId: spent?.grantId ?? '', sessionIdHash: 's1', amr: spent?.amr ?? [], idp: spent?.idp ?? null, createdAt: T0 + MINUTE });
      await store.refreshTokens.create(successor);
      expect(await store.refreshTokens.rotate('rt2', T0 + 2 * MINUTE)).toMatchObject({ idp: 'acme' });

      // A token with no idp (a sign-in at Gatehouse) reads back null.
      const { idp: _none, ...localToken } = newToken('rt-local', 'u1', 'rp', { grantId: 'grant-local' });
      await store.refreshTokens.create(localToken);
      expect(await store.refreshTokens.find('rt-local')).toMatchObject({ idp: null });
      expect(await store.refreshTokens.rotate('rt-local', T0 + 1)).toMatchObject({ idp: null });
    });

    it('is written onto a device code by the approval, and read back by find and by the spending token request', async () => {
      const device = (hash: string) => ({
        deviceCodeHash: hash,
        userCodeHash: `user-${hash}`,
        clientId: 'rp',
        scope: 'openid',
        resources: [],
        createdAt: T0,
        expiresAt: T0 + 10 * MINUTE,
        interval: 5,
      });
      await store.deviceCodes.create(device('d-fed'));
      await store.deviceCodes.create(device('d-local'));
      expect(await store.deviceCodes.find('d-fed')).toMatchObject({ status: 'pending', idp: null });
      expect(await store.deviceCodes.approve('user-d-fed', { userId: 'u1', sessionIdHash: null, sid: null, amr: ['fed'], idp: 'acme', authTime: T0 }, T0 + 1)).toMatchObject({
        status: 'approved',
        idp: 'acme',
      });
      expect(await store.deviceCodes.approve('user-d-local', { userId: 'u1', sessionIdHash: null, sid: null, amr: ['pwd'], authTime: T0 }, T0 + 1)).toMatchObject({ idp: null });
      expect(await store.deviceCodes.find('d-fed')).toMatchObject({ idp: 'acme' });
      expect(await store.deviceCodes.consume('d-fed', T0 + 2)).toMatchObject({ idp: 'acme', amr: ['fed'] });
      expect(await store.deviceCodes.consume('d-local', T0 + 2)).toMatchObject({ idp: null });
    });
  });
});
