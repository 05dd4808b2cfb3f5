// argon2id verification shares libuv's thread pool with token signing: at most ARGON2_CONCURRENCY hashes run
// at once, so a burst of sign-ins always leaves threads for signatures.
import { describe, expect, it } from 'vitest';
import { ARGON2_CONCURRENCY, argon2Load, hashPassword, verifyPassword } from '../../src/auth/password-hash.js';

describe('password hashing under load', () => {
  it('runs at most half the thread pool (and no more than the cores) of argon2 at once; the rest wait their turn', async () => {
    expect(ARGON2_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(ARGON2_CONCURRENCY).toBeLessThanOrEqual(2);
    const hash = await hashPassword('correct horse battery staple');
    const checks = Array.from({ length: 6 }, (_, i) => verifyPassword(hash, i % 2 === 0 ? 'correct horse battery staple' : 'wrong horse'));
    // p-limit starts queued work on a microtask: look once it has.
    await Promise.resolve();
    expect(argon2Load()).toEqual({ running: ARGON2_CONCURRENCY, waiting: 6 - ARGON2_CONCURRENCY });
    expect(await Promise.all(checks)).toEqual([true, false, true, false, true, false]);
    expect(argon2Load()).toEqual({ running: 0, waiting: 0 });
  });
});
