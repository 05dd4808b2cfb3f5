// Checking an email and a password (src/auth/authenticate.ts) against a real SQLite store: why each refusal is
// refused (for the audit log only), what is refused before any hashing (OWASP ASVS V2.2.1), that every
// refusal costs one full verification (the decoy hash: no account discovery by timing), and the upgrade of a
// hash made with weaker parameters, which keeps the account's mailed links (the password did not change).
import argon2 from 'argon2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCredentials, MAX_CREDENTIAL_BYTES, verifyCredentials } from '../../src/auth/authenticate.js';
import { argon2Verifications, argon2VerificationsPerformed, hashPassword } from '../../src/auth/password-hash.js';
import { hashSecret, randomSecret } from '../../src/auth/secrets.js';
import { Throttle, THROTTLE_RULES } from '../../src/auth/throttle.js';
import type { UserRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { argon2Parameters, CURRENT_ARGON2 } from '../helpers/argon2.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the right password at all';

describe('checking credentials', () => {
  let store: Store;
  let remove: () => void;
  let clock: FakeClock;
  let ada: UserRecord;

  const addUser = async (email: string, password = PASSWORD, extra: Partial<UserRecord> = {}) =>
    store.users.create({ id: randomSecret(), email, name: 'Someone', passwordHash: await hashPassword(password), isAdmin: false, disabled: false, emailVerified: false, ...extra }, clock.now());

  beforeEach(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    clock = new FakeClock(1_700_000_000_000);
    ada = await addUser('ada@example.com');
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  /** The outcome of one check and how many argon2 verifications it ran to the end. */
  async function costed(email: string, password: string) {
    const before = argon2VerificationsPerformed().count;
    const check = await checkCredentials(store, clock, email, password);
    return { check, verifications: argon2VerificationsPerformed().count - before, parameters: argon2Parameters(argon2VerificationsPerformed().lastParameters) };
  }

  it('returns the user for the right password, matching the email as sign-up stored it', async () => {
    for (const email of ['ada@example.com', ' ADA@Example.com ']) expect((await checkCredentials(store, clock, email, PASSWORD)).user?.id).toBe(ada.id);
  });

  it('says why each refusal was refused, naming the account only when there is one, each at the cost of one full verification', async () => {
    const disabled = await addUser('off@example.com', PASSWORD, { disabled: true });
    expect(await costed('ada@example.com', WRONG)).toEqual({ check: { user: null, reason: 'wrong_password', userId: ada.id }, verifications: 1, parameters: CURRENT_ARGON2 });
    expect(await costed('nobody@example.com', PASSWORD)).toEqual({ check: { user: null, reason: 'unknown_account', userId: null }, verifications: 1, parameters: CURRENT_ARGON2 });
    expect(await costed('off@example.com', PASSWORD)).toEqual({ check: { user: null, reason: 'account_disabled', userId: disabled.id }, verifications: 1, parameters: CURRENT_ARGON2 });
    // A disabled account with a wrong password is a wrong password: the account's state is told only to its password.
    expect((await costed('off@example.com', WRONG)).check).toEqual({ user: null, reason: 'wrong_password', userId: disabled.id });
  });

  it('treats a blank email as an unknown account, still at the cost of one verification', async () => {
    for (const email of ['', '   ']) {
      expect(await costed(email, PASSWORD)).toEqual({ check: { user: null, reason: 'unknown_account', userId: null }, verifications: 1, parameters: CURRENT_ARGON2 });
    }
  });

  it('uses the password exactly as typed: surrounding space or another case is a wrong password', async () => {
    for (const password of [` ${PASSWORD}`, `${PASSWORD} `, PASSWORD.toUpperCase()]) {
      expect((await checkCredentials(store, clock, 'ada@example.com', password)).user).toBeNull();
    }
  });

  it('refuses an email or a password over 4 KiB (in UTF-8 bytes) before any hashing, and checks 4 KiB exactly', async () => {
    expect(MAX_CREDENTIAL_BYTES).toBe(4096);
    const started = argon2Verifications();
    const tooLong = { user: null, reason: 'input_too_long', userId: null };
    expect(await checkCredentials(store, clock, 'ada@example.com', 'x'.repeat(4097))).toEqual(tooLong);
    // 2,049 characters, 4,098 bytes.
    expect(await checkCredentials(store, clock, 'ada@example.com', 'é'.repeat(2049))).toEqual(tooLong);
    expect(await checkCredentials(store, clock, `${'a'.repeat(4097 - '@example.com'.length)}@example.com`, PASSWORD)).toEqual(tooLong);
    expect(argon2Verifications()).toBe(started);
    expect(await checkCredentials(store, clock, 'ada@example.com', 'x'.repeat(4096))).toEqual({ user: null, reason: 'wrong_password', userId: ada.id });
    expect(await checkCredentials(store, clock, `${'a'.repeat(4096 - '@example.com'.length)}@example.com`, PASSWORD)).toEqual({ user: null, reason: 'unknown_account', userId: null });
    expect(argon2Verifications()).toBe(started + 2);
  });

  it("upgrades a hash made with weaker parameters while it holds the password, keeping the account's mailed links", async () => {
    const weak = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await store.users.update(ada.id, { passwordHash: weak }, clock.now());
    const link = { tokenHash: hashSecret('a reset link'), purpose: 'password_reset' as const, userId: ada.id, email: ada.email, createdAt: clock.now(), expiresAt: clock.now() + 3_600_000 };
    await store.accountTokens.create(link);
    clock.advance(1000);

    const { user } = await checkCredentials(store, clock, 'ada@example.com', PASSWORD);
    const stored = await store.users.findById(ada.id);
    expect(argon2Parameters(stored?.passwordHash)).toEqual(CURRENT_ARGON2);
    expect(stored?.passwordHash).not.toBe(weak);
    // The user returned is the one stored, with its new hash.
    expect(user).toEqual(stored);
    expect(await store.accountTokens.findLive(link.tokenHash, 'password_reset', clock.now())).not.toBeNull();
    // The new hash holds the same password.
    expect((await checkCredentials(store, clock, 'ada@example.com', PASSWORD)).user?.passwordHash).toBe(stored?.passwordHash);
  });

  it('leaves a hash at the current parameters, in canonical order, as it is: nothing is written', async () => {
    clock.advance(1000);
    const { user } = await checkCredentials(store, clock, 'ada@example.com', PASSWORD);
    expect(user).toEqual(ada);
    expect(await store.users.findById(ada.id)).toEqual(ada);
  });

  it('under a gate that refuses once the turn to hash has come, answers throttled, naming the account if there is one, and hashes nothing', async () => {
    const throttle = new Throttle(store, clock);
    for (const [email, userId] of [
      ['ada@example.com', ada.id],
      ['nobody@example.com', null],
    ] as const) {
      const gate = await throttle.gate('signin', email, '203.0.113.5');
      for (let i = 0; i < THROTTLE_RULES.account.limit; i++) await (await throttle.gate('signin', email, '198.51.100.1')).failed();
      const before = argon2Verifications();
      expect(await checkCredentials(store, clock, email, PASSWORD, gate)).toEqual({ user: null, reason: 'throttled', userId });
      expect(argon2Verifications()).toBe(before);
    }
  });

  it('verifyCredentials gives the user or null', async () => {
    expect((await verifyCredentials(store, clock, 'ada@example.com', PASSWORD))?.id).toBe(ada.id);
    expect(await verifyCredentials(store, clock, 'ada@example.com', WRONG)).toBeNull();
    expect(await verifyCredentials(store, clock, 'nobody@example.com', PASSWORD)).toBeNull();
  });
});
