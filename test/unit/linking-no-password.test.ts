// An account made at a federated sign-in has no password of its own (issue 23, UserRecord.hasPassword false): no
// password ever opens it through src/auth/authenticate.ts, not even the one its stored hash was made from, and the
// refusal costs the same one verification at the current parameters as any other (no timing difference).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCredentials, verifyCredentials } from '../../src/auth/authenticate.js';
import { argon2VerificationsPerformed, hashPassword } from '../../src/auth/password-hash.js';
import type { UserRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { argon2Parameters, CURRENT_ARGON2 } from '../helpers/argon2.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'correct horse battery staple';

describe('an account without a password of its own', () => {
  let store: Store;
  let remove: () => void;
  const clock = new FakeClock(1_700_000_000_000);
  let fed: UserRecord;

  beforeEach(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    // The hash is of a known password here, to show that even it does not open the account.
    fed = await store.users.create(
      { id: 'u-fed', email: 'fed@example.org', name: null, passwordHash: await hashPassword(PASSWORD), hasPassword: false, isAdmin: false, disabled: false, emailVerified: true },
      clock.now(),
    );
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  it('never matches, at the cost of exactly one verification at the current parameters', async () => {
    const before = argon2VerificationsPerformed().count;
    expect(await checkCredentials(store, clock, fed.email, PASSWORD)).toEqual({ user: null, reason: 'wrong_password', userId: fed.id });
    expect(argon2VerificationsPerformed().count - before).toBe(1);
    expect(argon2Parameters(argon2VerificationsPerformed().lastParameters)).toEqual(CURRENT_ARGON2);
    expect(await verifyCredentials(store, clock, fed.email, '')).toBeNull();
  });

  it('opens with its password once one is set (the store sets hasPassword with a new hash)', async () => {
    const updated = await store.users.update(fed.id, { passwordHash: await hashPassword(PASSWORD) }, clock.now());
    expect(updated?.hasPassword).toBe(true);
    expect((await checkCredentials(store, clock, fed.email, PASSWORD)).user?.id).toBe(fed.id);
  });
});
