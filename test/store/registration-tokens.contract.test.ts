// Store contract: initial access tokens for dynamic client registration (RegistrationTokenRepository, issue 24):
// kept as a hash; a use is one conditional write, so of callers racing for a token's last use exactly one wins;
// unlimited tokens count their uses; expired ones are unusable from their expiry instant on and swept by
// housekeeping. Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { sweepExpired } from '../../src/store/housekeeping.js';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, newRegistrationToken, T0, type OpenedStore } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('registration tokens on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
  });

  afterEach(async () => {
    await opened.destroy();
  });

  /** `callers` uses of one token at once, half of them through another node; the winners' records. */
  async function race(tokenHash: string, callers: number) {
    const other = await opened.second();
    try {
      const results = await Promise.all(Array.from({ length: callers }, (_, i) => (i % 2 === 0 ? store : other).registrationTokens.use(tokenHash, T0 + 1)));
      return results.filter((result) => result !== null);
    } finally {
      await other.close();
    }
  }

  it('creates a token with no use made, and finds it by its hash while usable', async () => {
    const token = newRegistrationToken('rt1', { usesLeft: 3 });
    const expected = { ...token, used: 0 };
    expect(await store.registrationTokens.create(token)).toEqual(expected);
    expect(await store.registrationTokens.findUsable('hash-of-rt1', T0)).toEqual(expected);
    expect(await store.registrationTokens.findUsable('rt1', T0)).toBeNull();
    expect(await store.registrationTokens.findUsable('hash-of-nothing', T0)).toBeNull();
    expect(await store.registrationTokens.list()).toEqual([expected]);
  });

  it('spends one use per call and returns the token as it is after the use', async () => {
    await store.registrationTokens.create(newRegistrationToken('rt1', { usesLeft: 2 }));
    expect(await store.registrationTokens.use('hash-of-rt1', T0 + 1)).toMatchObject({ id: 'rt1', usesLeft: 1, used: 1 });
    expect(await store.registrationTokens.findUsable('hash-of-rt1', T0 + 1)).toMatchObject({ usesLeft: 1, used: 1 });
    expect(await store.registrationTokens.use('hash-of-rt1', T0 + 2)).toMatchObject({ usesLeft: 0, used: 2 });
    expect(await store.registrationTokens.use('hash-of-rt1', T0 + 3)).toBeNull();
    expect(await store.registrationTokens.findUsable('hash-of-rt1', T0 + 3)).toBeNull();
    // Used up, it is still listed (until revoked), with its count.
    expect(await store.registrationTokens.list()).toEqual([{ ...newRegistrationToken('rt1', { usesLeft: 0 }), used: 2 }]);
    expect(await store.registrationTokens.use('hash-of-nothing', T0)).toBeNull();
  });

  it('lets exactly one of many callers racing for the last use win, across two nodes', async () => {
    await store.registrationTokens.create(newRegistrationToken('rt1', { usesLeft: 1 }));
    const winners = await race('hash-of-rt1', 12);
    expect(winners).toEqual([{ ...newRegistrationToken('rt1', { usesLeft: 0 }), used: 1 }]);
    expect(await store.registrationTokens.list()).toMatchObject([{ usesLeft: 0, used: 1 }]);
  });

  it('lets exactly as many callers win as the token has uses left', async () => {
    await store.registrationTokens.create(newRegistrationToken('rt3', { usesLeft: 3 }));
    const winners = await race('hash-of-rt3', 10);
    expect(winners).toHaveLength(3);
    expect(winners.map((winner) => winner.usesLeft).sort()).toEqual([0, 1, 2]);
    expect(await store.registrationTokens.list()).toMatchObject([{ usesLeft: 0, used: 3 }]);
  });

  it('counts the uses of an unlimited token and never runs it out', async () => {
    await store.registrationTokens.create(newRegistrationToken('open', { usesLeft: null, expiresAt: null }));
    expect(await race('hash-of-open', 6)).toHaveLength(6);
    expect(await store.registrationTokens.use('hash-of-open', T0 + 100 * 365 * 24 * 60 * MINUTE)).toMatchObject({ usesLeft: null, used: 7, expiresAt: null });
    expect(await store.registrationTokens.findUsable('hash-of-open', T0 + 100 * 365 * 24 * 60 * MINUTE)).toMatchObject({ usesLeft: null, used: 7 });
  });

  it('neither finds nor spends a token from its expiry instant on', async () => {
    await store.registrationTokens.create(newRegistrationToken('rt1', { usesLeft: null, expiresAt: T0 + MINUTE }));
    expect(await store.registrationTokens.findUsable('hash-of-rt1', T0 + MINUTE - 1)).not.toBeNull();
    expect(await store.registrationTokens.findUsable('hash-of-rt1', T0 + MINUTE)).toBeNull();
    expect(await store.registrationTokens.use('hash-of-rt1', T0 + MINUTE)).toBeNull();
    expect(await store.registrationTokens.list()).toMatchObject([{ id: 'rt1', used: 0 }]);
    expect(await store.registrationTokens.use('hash-of-rt1', T0 + MINUTE - 1)).toMatchObject({ used: 1 });
  });

  it('lists tokens newest first', async () => {
    await store.registrationTokens.create(newRegistrationToken('b', { createdAt: T0 }));
    await store.registrationTokens.create(newRegistrationToken('a', { createdAt: T0 + 1 }));
    await store.registrationTokens.create(newRegistrationToken('c', { createdAt: T0 + 1 }));
    expect((await store.registrationTokens.list()).map((token) => token.id)).toEqual(['c', 'a', 'b']);
  });

  it('refuses a second token with the same id or the same hash, writing nothing', async () => {
    await store.registrationTokens.create(newRegistrationToken('rt1'));
    await expect(store.registrationTokens.create(newRegistrationToken('rt1', { tokenHash: 'other' }))).rejects.toBeInstanceOf(ConflictError);
    await expect(store.registrationTokens.create(newRegistrationToken('rt2', { tokenHash: 'hash-of-rt1' }))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.registrationTokens.list()).map((token) => token.id)).toEqual(['rt1']);
  });

  it('refuses a negative number of uses (the CHECK)', async () => {
    await expect(store.registrationTokens.create(newRegistrationToken('rt1', { usesLeft: -1 }))).rejects.toThrow();
    expect(await store.registrationTokens.list()).toEqual([]);
  });

  it('deletes (revokes) a token by its id once; a deleted token is no longer usable', async () => {
    await store.registrationTokens.create(newRegistrationToken('rt1', { usesLeft: null }));
    await store.registrationTokens.create(newRegistrationToken('rt2'));
    expect(await store.registrationTokens.delete('hash-of-rt1')).toBe(false);
    expect(await store.registrationTokens.delete('rt1')).toBe(true);
    expect(await store.registrationTokens.delete('rt1')).toBe(false);
    expect(await store.registrationTokens.use('hash-of-rt1', T0)).toBeNull();
    expect(await store.registrationTokens.findUsable('hash-of-rt1', T0)).toBeNull();
    expect((await store.registrationTokens.list()).map((token) => token.id)).toEqual(['rt2']);
  });

  it('removes expired tokens only: not live ones, not those without an expiry, not used-up live ones', async () => {
    await store.registrationTokens.create(newRegistrationToken('expired', { expiresAt: T0 }));
    await store.registrationTokens.create(newRegistrationToken('expired-earlier', { expiresAt: T0 - MINUTE, usesLeft: null }));
    await store.registrationTokens.create(newRegistrationToken('live', { expiresAt: T0 + 1 }));
    await store.registrationTokens.create(newRegistrationToken('never', { expiresAt: null }));
    await store.registrationTokens.create(newRegistrationToken('used-up', { expiresAt: T0 + MINUTE, usesLeft: 0 }));
    expect(await store.registrationTokens.deleteExpired(T0)).toBe(2);
    expect((await store.registrationTokens.list()).map((token) => token.id).sort()).toEqual(['live', 'never', 'used-up']);
    expect(await store.registrationTokens.deleteExpired(T0)).toBe(0);
    // Housekeeping sweeps them with the other expired rows.
    expect(await sweepExpired(store, T0 + 1)).toBe(1);
    expect((await store.registrationTokens.list()).map((token) => token.id).sort()).toEqual(['never', 'used-up']);
  });
});
