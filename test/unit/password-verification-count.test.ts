// What src/auth/password-hash.ts counts and asks around one verification: every verification started is counted
// (tests of the throttle rely on it: a throttled attempt starts none), and a gated one asks its gate just before
// hashing and reports a mismatch to it before its hashing slot is freed (OWASP ASVS V2.2.1), with the real
// throttle (src/auth/throttle.ts) on a real SQLite store as the gate.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ARGON2_CONCURRENCY, argon2Load, argon2Verifications, argon2VerificationsPerformed, hashPassword, verifyPassword, verifyPasswordGated } from '../../src/auth/password-hash.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { Throttle, THROTTLE_RULES } from '../../src/auth/throttle.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the right password at all';
const EMAIL = 'ada@example.com';
const IP = '203.0.113.5';

describe('verifications counted (argon2Verifications)', () => {
  it('counts every verification started by verifyPassword, one each, a malformed stored hash included', async () => {
    const hash = await hashPassword(PASSWORD);
    const before = argon2Verifications();
    expect(await verifyPassword(hash, PASSWORD)).toBe(true);
    expect(argon2Verifications()).toBe(before + 1);
    expect(await verifyPassword(hash, WRONG)).toBe(false);
    expect(argon2Verifications()).toBe(before + 2);
    expect(await verifyPassword('not-a-hash', PASSWORD)).toBe(false);
    expect(argon2Verifications()).toBe(before + 3);
  });
});

describe('a verification under a gate (verifyPasswordGated, with the sign-in throttle as gate)', () => {
  let store: Store;
  let remove: () => void;
  let clock: FakeClock;
  let throttle: Throttle;
  let hash: string;

  beforeEach(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    clock = new FakeClock(1_700_000_000_000);
    throttle = new Throttle(store, clock);
    hash = await hashPassword(PASSWORD);
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  /** The attempts counted on the account's and on the address's counter (0: no counter). */
  const counted = async () => ({
    account: (await store.throttle.peek(`signin:account:${hashSecret(EMAIL)}`, clock.now()))?.attempts ?? 0,
    address: (await store.throttle.peek(`signin:address:${IP}`, clock.now()))?.attempts ?? 0,
  });

  it('answers match for the right password, counts one verification and no failure', async () => {
    const gate = await throttle.gate('signin', EMAIL, IP);
    const before = argon2Verifications();
    const performed = argon2VerificationsPerformed().count;
    expect(await verifyPasswordGated(hash, PASSWORD, gate)).toBe('match');
    expect(argon2Verifications()).toBe(before + 1);
    expect(argon2VerificationsPerformed().count).toBe(performed + 1);
    expect(await counted()).toEqual({ account: 0, address: 0 });
  });

  it('answers mismatch for a wrong password and counts the failure on the gate before answering', async () => {
    const gate = await throttle.gate('signin', EMAIL, IP);
    const before = argon2Verifications();
    expect(await verifyPasswordGated(hash, WRONG, gate)).toBe('mismatch');
    expect(argon2Verifications()).toBe(before + 1);
    expect(await counted()).toEqual({ account: 1, address: 1 });
  });

  it('answers mismatch for a malformed stored hash, without throwing, and counts it as a failure', async () => {
    const gate = await throttle.gate('signin', EMAIL, IP);
    const before = argon2Verifications();
    for (const malformed of ['', 'not-a-hash', '$argon2id$v=19$m=19456,t=2,p=1$']) expect(await verifyPasswordGated(malformed, PASSWORD, gate)).toBe('mismatch');
    expect(argon2Verifications()).toBe(before + 3);
    expect(await counted()).toEqual({ account: 3, address: 3 });
  });

  it('refuses, hashing nothing and counting nothing, once the gate says no on its turn', async () => {
    const { limit } = THROTTLE_RULES.account;
    // A gate opened before the failures that block the account: it is asked again when its turn comes.
    const late = await throttle.gate('signin', EMAIL, IP);
    expect(late.refusal).toBeNull();
    for (let i = 0; i < limit; i++) expect(await verifyPasswordGated(hash, WRONG, await throttle.gate('signin', EMAIL, IP))).toBe('mismatch');
    const before = argon2Verifications();
    const performed = argon2VerificationsPerformed().count;
    expect(await verifyPasswordGated(hash, PASSWORD, late)).toBe('refused');
    expect(late.refusal).toMatchObject({ by: 'account', retryAt: clock.now() + THROTTLE_RULES.account.block.baseMs });
    expect(argon2Verifications()).toBe(before);
    expect(argon2VerificationsPerformed().count).toBe(performed);
    expect(await counted()).toEqual({ account: limit, address: limit });
  });

  it('cuts a burst of concurrent wrong guesses off at the limit: each failure is counted before the next in line is admitted', async () => {
    const { limit } = THROTTLE_RULES.account;
    const gates = await Promise.all(Array.from({ length: 12 }, () => throttle.gate('signin', EMAIL, IP)));
    const before = argon2Verifications();
    const verdicts = await Promise.all(gates.map((gate) => verifyPasswordGated(hash, WRONG, gate)));
    expect(argon2Load()).toEqual({ running: 0, waiting: 0 });
    const hashed = argon2Verifications() - before;
    expect(hashed).toBeGreaterThanOrEqual(limit);
    expect(hashed).toBeLessThanOrEqual(limit + ARGON2_CONCURRENCY - 1);
    expect(verdicts.filter((verdict) => verdict === 'mismatch')).toHaveLength(hashed);
    expect(verdicts.filter((verdict) => verdict === 'refused')).toHaveLength(12 - hashed);
  });
});
