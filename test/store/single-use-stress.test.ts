// Race-free single use, proven (issue 20): every single-use object, presented by 2 to 10 callers at once, split
// across two stores on one database (two server processes, or the server's writer thread and the `idp` tool),
// has at most one winner, in each of 200 rounds per object, on every engine. A refresh family revoked after a
// detected reuse keeps no live token, even with a successor recorded while the revocation ran (RFC 9700 §4.14.2).
// Bounded: 200 rounds of at most 10 calls per object; no timing is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, newCode, newToken, newUser, seedUserAndClient, T0, type OpenedStore } from './engines.js';

const ROUNDS = 200;
const HOUR = 60 * 60_000;

/** 2 to 10 callers, the same sequence on every run: a failure can be replayed. */
function callersOf(round: number): number {
  return 2 + ((round * 7) % 9);
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('single use under concurrency on %s', (_name, engine) => {
  let opened: OpenedStore;
  let stores: [Store, Store];

  beforeAll(async () => {
    opened = await engine.open();
    stores = [opened.store, await opened.second()];
    await seedUserAndClient(opened.store);
  });
  afterAll(async () => {
    await stores?.[1].close();
    await opened?.destroy();
  });

  /** Runs `attempt` for every caller of a round, alternating between the two stores; returns how many won. */
  async function race(round: number, attempt: (store: Store, caller: number) => Promise<boolean>): Promise<number> {
    const callers = callersOf(round);
    const outcomes = await Promise.all(Array.from({ length: callers }, (_, caller) => attempt(stores[caller % 2] as Store, caller)));
    return outcomes.filter(Boolean).length;
  }

  it('an authorization code is redeemed once (RFC 6749 §4.1.2)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await opened.store.codes.create(newCode(`code-${round}`, 'u1', 'rp', { grantId: `code-grant-${round}` }));
      expect(await race(round, async (store, caller) => (await store.codes.consume(`code-${round}`, T0 + caller)) !== null), `round ${round}`).toBe(1);
    }
  });

  it('a refresh token rotates once, and a reuse revocation leaves its family no live token', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const grantId = `family-${round}`;
      await opened.store.refreshTokens.create(newToken(`rt-${round}`, 'u1', 'rp', { grantId }));
      // Every caller tries to rotate; the winner records a successor, the losers revoke the family (reuse).
      const wins = await race(round, async (store, caller) => {
        const rotated = await store.refreshTokens.rotate(`rt-${round}`, T0 + caller);
        if (rotated) {
          await store.refreshTokens.create(newToken(`rt-${round}-next`, 'u1', 'rp', { grantId, createdAt: T0 + caller }));
          // What the winning refresh does after recording its successor (src/oidc/grants/refresh-token.ts).
          if ((await store.refreshTokens.find(`rt-${round}`))?.revokedAt !== null) await store.refreshTokens.revokeGrant(grantId, T0 + caller);
        } else {
          await store.refreshTokens.revokeGrant(grantId, T0 + caller);
        }
        return rotated !== null;
      });
      expect(wins, `round ${round}`).toBe(1);
      const successor = await opened.store.refreshTokens.find(`rt-${round}-next`);
      expect(successor?.revokedAt ?? null, `round ${round}: the successor escaped the revocation`).not.toBeNull();
    }
  });

  it('a recovery code is used once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const userId = `rc-user-${round}`;
      await opened.store.users.create(newUser(userId, `rc${round}@example.com`), T0);
      await opened.store.recoveryCodes.replace(userId, ['h1:code-a', 'h1:code-b'], T0);
      expect(await race(round, (store, caller) => store.recoveryCodes.consume(userId, 'h1:code-a', T0 + caller)), `round ${round}`).toBe(1);
      expect(await opened.store.recoveryCodes.countUnused(userId)).toBe(1);
    }
  });

  it('a TOTP time step is accepted once (RFC 6238 §5.2)', async () => {
    const userId = 'totp-user';
    await opened.store.users.create(newUser(userId, 'totp@example.com'), T0);
    await opened.store.totp.begin({ userId, sealedSecret: 'v1.sealed', createdAt: T0 });
    expect(await opened.store.totp.confirm(userId, 0, T0)).toBe(true);
    for (let round = 0; round < ROUNDS; round++) {
      const step = round + 1;
      expect(await race(round, (store) => store.totp.useStep(userId, step)), `round ${round}`).toBe(1);
    }
  });

  it('a mailed reset link is used once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const tokenHash = `reset-${round}`;
      await opened.store.accountTokens.create({ tokenHash, purpose: 'password_reset', userId: 'u1', email: 'one@example.com', createdAt: T0, expiresAt: T0 + HOUR });
      expect(await race(round, async (store, caller) => (await store.accountTokens.consume(tokenHash, 'password_reset', T0 + caller)) !== null), `round ${round}`).toBe(1);
    }
  });

  it('a passkey sign-in challenge is used once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const idHash = `challenge-${round}`;
      await opened.store.signInChallenges.create({ idHash, purpose: 'passkey_sign_in', browserHash: 'browser', userId: null, value: `webauthn-${round}`, createdAt: T0, expiresAt: T0 + HOUR });
      expect(await race(round, async (store, caller) => (await store.signInChallenges.consume(idHash, 'passkey_sign_in', T0 + caller)) !== null), `round ${round}`).toBe(1);
    }
  });
});
