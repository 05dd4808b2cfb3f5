// The throttle's counters (src/auth/throttle.ts, OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2) on a real SQLite
// store: what each kind of attempt counts, on which counter, which refusal wins, and what a success forgets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { argon2Verifications, hashPassword } from '../../src/auth/password-hash.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { checkPasswordThrottled, Throttle, THROTTLE_RULES } from '../../src/auth/throttle.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const EMAIL = 'ada@example.com';
const IP = '203.0.113.5';
const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the right password at all';

describe('the throttle', () => {
  let store: Store;
  let remove: () => void;
  let clock: FakeClock;
  let throttle: Throttle;

  beforeEach(() => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    clock = new FakeClock(1_700_000_000_000);
    throttle = new Throttle(store, clock);
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  /** Attempts on the account's and the address's counter of a scope (0: no counter). */
  const counted = async (scope = 'signin', email = EMAIL, ip = IP) => ({
    account: (await store.throttle.peek(`${scope}:account:${hashSecret(email)}`, clock.now()))?.attempts ?? 0,
    address: (await store.throttle.peek(`${scope}:address:${ip}`, clock.now()))?.attempts ?? 0,
  });

  /** `n` failures through gates of the scope. */
  async function fail(n: number, email = EMAIL, ip = IP, scope: 'signin' | 'second_factor' = 'signin'): Promise<void> {
    for (let i = 0; i < n; i++) {
      const gate = await throttle.gate(scope, email, ip);
      expect(gate.refusal, `failure ${i + 1}`).toBeNull();
      await gate.failed();
    }
  }

  describe('a gate (failures count, per account and per address)', () => {
    it('counts a failure on the account and on the address, and lets the attempt in while neither is blocked', async () => {
      await fail(THROTTLE_RULES.account.limit - 1);
      expect(await counted()).toEqual({ account: 4, address: 4 });
      const gate = await throttle.gate('signin', EMAIL, IP);
      expect(gate.refusal).toBeNull();
      expect(await gate.admit()).toBe(true);
    });

    it('keys the account by its email as sign-in matches it: case and surrounding space do not make another counter', async () => {
      for (const spelling of ['ADA@example.com', ' ada@Example.COM ']) await fail(1, spelling);
      expect(await counted()).toEqual({ account: 2, address: 2 });
    });

    it('refuses on arrival, by the account, once the account has used its 5 failures; another account from the address goes on', async () => {
      await fail(THROTTLE_RULES.account.limit);
      const gate = await throttle.gate('signin', EMAIL, IP);
      expect(gate.refusal).toEqual({ by: 'account', retryAt: clock.now() + MINUTE });
      expect(await gate.admit()).toBe(false);
      expect((await throttle.gate('signin', 'grace@example.com', IP)).refusal).toBeNull();
    });

    it('refuses on arrival, by the address, once the address has used its 100 failures across accounts', async () => {
      for (let i = 0; i < THROTTLE_RULES.address.limit; i++) await fail(1, `person${i}@example.com`);
      const gate = await throttle.gate('signin', EMAIL, IP);
      expect(gate.refusal).toEqual({ by: 'address', retryAt: clock.now() + HOUR });
      // Another address is not affected.
      expect((await throttle.gate('signin', EMAIL, '203.0.113.6')).refusal).toBeNull();
    });

    it("gives the later of two refusals: the address's hour over the account's minute, and the account's over what is left of the hour", async () => {
      const start = clock.now();
      for (let i = 0; i < THROTTLE_RULES.address.limit; i++) await fail(1, `person${i}@example.com`);
      // The account's five failures from other addresses block it for one minute.
      for (let i = 0; i < THROTTLE_RULES.account.limit; i++) await fail(1, EMAIL, `198.51.100.${i + 1}`);
      expect((await throttle.gate('signin', EMAIL, IP)).refusal).toEqual({ by: 'address', retryAt: start + HOUR });
      // Near the end of the address's hour, the account is blocked again, past the hour's end.
      clock.advance(HOUR - 30_000);
      const gate = await throttle.gate('signin', EMAIL, '198.51.100.50');
      expect(gate.refusal).toBeNull();
      await gate.failed();
      expect((await throttle.gate('signin', EMAIL, IP)).refusal).toEqual({ by: 'account', retryAt: clock.now() + 2 * MINUTE });
    });

    it('asks again when admitted: a gate opened before the account was blocked is refused, and its refusal set', async () => {
      const early = await throttle.gate('signin', EMAIL, IP);
      await fail(THROTTLE_RULES.account.limit);
      expect(early.refusal).toBeNull();
      expect(await early.admit()).toBe(false);
      expect(early.refusal).toEqual({ by: 'account', retryAt: clock.now() + MINUTE });
    });

    it("forgets the account's failures, not the address's, on a success", async () => {
      await fail(3);
      const gate = await throttle.gate('signin', EMAIL, IP);
      await gate.succeeded();
      expect(await counted()).toEqual({ account: 0, address: 3 });
    });

    it('forgets the failures counted through the same gate on a success', async () => {
      const gate = await throttle.gate('signin', EMAIL, IP);
      await gate.failed();
      await gate.failed();
      expect(await counted()).toEqual({ account: 2, address: 2 });
      await gate.succeeded();
      expect(await counted()).toEqual({ account: 0, address: 2 });
    });

    it("keeps each scope's counters apart: wrong codes do not block the password, nor the other way round", async () => {
      await fail(THROTTLE_RULES.account.limit, EMAIL, IP, 'second_factor');
      expect((await throttle.gate('second_factor', EMAIL, IP)).refusal).toMatchObject({ by: 'account' });
      expect((await throttle.gate('signin', EMAIL, IP)).refusal).toBeNull();
      expect(await counted('signin')).toEqual({ account: 0, address: 0 });
    });
  });

  describe('edges of a block', () => {
    it('lets an attempt in at the very moment its block ends', async () => {
      await fail(THROTTLE_RULES.account.limit);
      const retryAt = clock.now() + MINUTE;
      clock.advance(MINUTE - 1);
      expect((await throttle.gate('signin', EMAIL, IP)).refusal).toEqual({ by: 'account', retryAt });
      clock.advance(1);
      expect((await throttle.gate('signin', EMAIL, IP)).refusal).toBeNull();
    });

    it('names the address when the address and the account are blocked until the same moment', async () => {
      const start = clock.now();
      const { limit } = THROTTLE_RULES.address;
      for (let i = 0; i < limit - THROTTLE_RULES.account.limit; i++) await fail(1, `person${i}@example.com`);
      // The account's fifth failure is the address's hundredth, a minute before the address's hour ends.
      clock.advance(HOUR - MINUTE);
      await fail(THROTTLE_RULES.account.limit);
      expect(start + HOUR).toBe(clock.now() + MINUTE);
      expect((await throttle.gate('signin', EMAIL, IP)).refusal).toEqual({ by: 'address', retryAt: start + HOUR });
    });
  });

  describe('what the counters cost', () => {
    /** Counts the calls made to the store's throttle counters while `run` runs. */
    async function callsDuring(run: () => Promise<unknown>): Promise<Record<'peek' | 'attempt' | 'refund' | 'clear', number>> {
      const repository = store.throttle;
      const calls = { peek: 0, attempt: 0, refund: 0, clear: 0 };
      const originals = { peek: repository.peek, attempt: repository.attempt, refund: repository.refund, clear: repository.clear };
      repository.peek = (...args) => {
        calls.peek += 1;
        return originals.peek.apply(repository, args);
      };
      repository.attempt = (...args) => {
        calls.attempt += 1;
        return originals.attempt.apply(repository, args);
      };
      repository.refund = (...args) => {
        calls.refund += 1;
        return originals.refund.apply(repository, args);
      };
      repository.clear = (...args) => {
        calls.clear += 1;
        return originals.clear.apply(repository, args);
      };
      try {
        await run();
      } finally {
        Object.assign(repository, originals);
      }
      return calls;
    }

    it("a success with no failures to forget writes nothing; one after failures clears the account's counter once", async () => {
      expect(await callsDuring(async () => (await throttle.gate('signin', EMAIL, IP)).succeeded())).toEqual({ peek: 2, attempt: 0, refund: 0, clear: 0 });
      await fail(1);
      expect(await callsDuring(async () => (await throttle.gate('signin', EMAIL, IP)).succeeded())).toEqual({ peek: 2, attempt: 0, refund: 0, clear: 1 });
    });

    it("a blocked address's client failures and admissions are answered from a read, with no write", async () => {
      for (let i = 0; i < THROTTLE_RULES.address.limit; i++) await throttle.clientFailure(IP);
      expect(await callsDuring(() => throttle.clientFailure(IP))).toEqual({ peek: 1, attempt: 0, refund: 0, clear: 0 });
      for (let i = 0; i < THROTTLE_RULES.refusalAudit.limit; i++) await throttle.mayAuditRefusal('signin_refusal_audit', IP);
      expect(await callsDuring(() => throttle.mayAuditRefusal('signin_refusal_audit', IP))).toEqual({ peek: 1, attempt: 0, refund: 0, clear: 0 });
    });

    it('reads the block a counted attempt started only when that attempt reached the limit', async () => {
      const { limit } = THROTTLE_RULES.refusalAudit;
      for (let i = 1; i < limit; i++) expect(await callsDuring(() => throttle.mayAuditRefusal('signin_refusal_audit', IP))).toEqual({ peek: 1, attempt: 1, refund: 0, clear: 0 });
      expect(await callsDuring(() => throttle.mayAuditRefusal('signin_refusal_audit', IP))).toEqual({ peek: 2, attempt: 1, refund: 0, clear: 0 });
    });
  });

  describe('concurrent attempts at the limit', () => {
    it('counts one client failure and refuses the other when two arrive together for the last of the budget', async () => {
      const start = clock.now();
      for (let i = 1; i < THROTTLE_RULES.address.limit; i++) await throttle.clientFailure(IP);
      const both = await Promise.all([throttle.clientFailure(IP), throttle.clientFailure(IP)]);
      expect(both).toEqual(
        expect.arrayContaining([
          { counted: true, blockedUntil: start + HOUR },
          { counted: false, retryAt: start + HOUR },
        ]),
      );
    });

    it('admits one and refuses the other when two requests arrive together for the last admission', async () => {
      const start = clock.now();
      const { limit, windowMs } = THROTTLE_RULES.admission;
      for (let i = 1; i < limit; i++) await throttle.admitAddress('authorize', IP);
      const both = await Promise.all([throttle.admitAddress('authorize', IP), throttle.admitAddress('authorize', IP)]);
      expect(both).toEqual(
        expect.arrayContaining([
          { allowed: true, blockedUntil: start + windowMs },
          { allowed: false, retryAt: start + windowMs },
        ]),
      );
    });
  });

  describe('admission of a request that costs something whatever its outcome (admit)', () => {
    it('counts every request on the account and the address, and refuses the sixth for the account alone, taking its count off the address', async () => {
      for (let i = 0; i < THROTTLE_RULES.account.limit; i++) expect(await throttle.admit('reset', EMAIL, IP)).toEqual({ allowed: true });
      expect(await counted('reset')).toEqual({ account: 5, address: 5 });
      expect(await throttle.admit('reset', EMAIL, IP)).toEqual({ allowed: false, by: 'account', retryAt: clock.now() + MINUTE });
      // The address was not at fault: its count is what it was.
      expect(await counted('reset')).toEqual({ account: 5, address: 5 });
      expect(await throttle.admit('reset', 'grace@example.com', IP)).toEqual({ allowed: true });
    });

    it('refuses for the address once it has used its 100 requests, counting nothing on the account', async () => {
      for (let i = 0; i < THROTTLE_RULES.address.limit; i++) expect((await throttle.admit('reset', `person${i}@example.com`, IP)).allowed).toBe(true);
      expect(await throttle.admit('reset', EMAIL, IP)).toEqual({ allowed: false, by: 'address', retryAt: clock.now() + HOUR });
      expect(await counted('reset')).toEqual({ account: 0, address: THROTTLE_RULES.address.limit });
    });

    it("forget lifts the account's counter of that scope only", async () => {
      await fail(2);
      for (let i = 0; i < 2; i++) await throttle.admit('reset', EMAIL, IP);
      await throttle.forget('signin', ' ADA@example.com');
      expect(await counted('signin')).toEqual({ account: 0, address: 2 });
      expect(await counted('reset')).toEqual({ account: 2, address: 2 });
    });
  });

  describe('failed client authentications (clientFailure)', () => {
    it('counts on the address alone, says when the 100th failure starts the block, then counts nothing until it ends', async () => {
      const start = clock.now();
      for (let i = 1; i < THROTTLE_RULES.address.limit; i++) expect(await throttle.clientFailure(IP)).toEqual({ counted: true, blockedUntil: null });
      clock.advance(MINUTE);
      expect(await throttle.clientFailure(IP)).toEqual({ counted: true, blockedUntil: start + HOUR });
      expect(await throttle.clientFailure(IP)).toEqual({ counted: false, retryAt: start + HOUR });
      expect((await store.throttle.peek(`client:address:${IP}`, clock.now()))?.attempts).toBe(THROTTLE_RULES.address.limit);
      expect(await throttle.clientFailure('203.0.113.6')).toEqual({ counted: true, blockedUntil: null });
      clock.advance(start + HOUR - clock.now());
      expect(await throttle.clientFailure(IP)).toEqual({ counted: true, blockedUntil: null });
    });
  });

  describe('audit budget of refusals (mayAuditRefusal)', () => {
    it('allows 20 an hour per address and scope, then none until the hour ends', async () => {
      for (let i = 0; i < THROTTLE_RULES.refusalAudit.limit; i++) expect(await throttle.mayAuditRefusal('signin_refusal_audit', IP)).toBe(true);
      expect(await throttle.mayAuditRefusal('signin_refusal_audit', IP)).toBe(false);
      expect(await throttle.mayAuditRefusal('reset_refusal_audit', IP)).toBe(true);
      expect(await throttle.mayAuditRefusal('signin_refusal_audit', '203.0.113.6')).toBe(true);
      clock.advance(HOUR);
      expect(await throttle.mayAuditRefusal('signin_refusal_audit', IP)).toBe(true);
    });
  });

  describe('a re-entered password (checkPasswordThrottled)', () => {
    let hash: string;
    beforeEach(async () => {
      hash = await hashPassword(PASSWORD);
    });

    it("matches the right password and forgets the account's failures", async () => {
      await fail(3);
      expect(await checkPasswordThrottled(throttle, EMAIL, IP, hash, PASSWORD)).toEqual({ outcome: 'match' });
      expect(await counted()).toEqual({ account: 0, address: 3 });
    });

    it('counts a wrong password as a sign-in failure', async () => {
      expect(await checkPasswordThrottled(throttle, EMAIL, IP, hash, WRONG)).toEqual({ outcome: 'mismatch' });
      expect(await counted()).toEqual({ account: 1, address: 1 });
    });

    it('counts a password over 4 KiB as a failure without hashing it', async () => {
      const before = argon2Verifications();
      expect(await checkPasswordThrottled(throttle, EMAIL, IP, hash, 'x'.repeat(4097))).toEqual({ outcome: 'mismatch' });
      expect(argon2Verifications()).toBe(before);
      expect(await counted()).toEqual({ account: 1, address: 1 });
      // 4 KiB exactly is hashed.
      expect(await checkPasswordThrottled(throttle, EMAIL, IP, hash, 'x'.repeat(4096))).toEqual({ outcome: 'mismatch' });
      expect(argon2Verifications()).toBe(before + 1);
    });

    it('refuses a blocked account on arrival, hashing nothing, even for the right password', async () => {
      await fail(THROTTLE_RULES.account.limit);
      const before = argon2Verifications();
      expect(await checkPasswordThrottled(throttle, EMAIL, IP, hash, PASSWORD)).toEqual({ outcome: 'throttled', refusal: { by: 'account', retryAt: clock.now() + MINUTE } });
      expect(argon2Verifications()).toBe(before);
    });

    it('refuses a blocked account on arrival even for a password over 4 KiB, counting nothing', async () => {
      await fail(THROTTLE_RULES.account.limit);
      const refusal = { by: 'account', retryAt: clock.now() + MINUTE };
      expect(await checkPasswordThrottled(throttle, EMAIL, IP, hash, 'x'.repeat(5000))).toEqual({ outcome: 'throttled', refusal });
    });

    it('refuses an attempt whose turn to hash comes after the failures before it reached the limit', async () => {
      const { limit } = THROTTLE_RULES.account;
      const checks = await Promise.all(Array.from({ length: limit + 4 }, () => checkPasswordThrottled(throttle, EMAIL, IP, hash, WRONG)));
      const throttled = checks.filter((check) => check.outcome === 'throttled');
      expect(throttled.length).toBeGreaterThan(0);
      for (const check of throttled) expect(check).toEqual({ outcome: 'throttled', refusal: { by: 'account', retryAt: expect.any(Number) } });
      expect(checks.filter((check) => check.outcome === 'mismatch').length + throttled.length).toBe(limit + 4);
      expect(checks.some((check) => check.outcome === 'match')).toBe(false);
    });
  });
});
