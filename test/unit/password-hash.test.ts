// argon2id verification shares libuv's thread pool with token signing: at most ARGON2_CONCURRENCY hashes run
// at once, so a burst of sign-ins always leaves threads for signatures.
import { describe, expect, it } from 'vitest';
import os from 'node:os';
import argon2 from 'argon2';
import { ARGON2_CONCURRENCY, argon2Load, argon2VerificationsPerformed, hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { argon2Parameters, CURRENT_ARGON2 } from '../helpers/argon2.js';

describe('password hashing under load', () => {
  it('runs at most half the thread pool (and no more than the cores) of argon2 at once; the rest wait their turn', async () => {
    const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    expect(ARGON2_CONCURRENCY).toBe(Math.max(1, Math.min(Math.floor(pool / 2), os.availableParallelism())));
    const hash = await hashPassword('correct horse battery staple');
    const checks = Array.from({ length: 6 }, (_, i) => verifyPassword(hash, i % 2 === 0 ? 'correct horse battery staple' : 'wrong horse'));
    // p-limit starts queued work on a microtask: look once it has.
    await Promise.resolve();
    expect(argon2Load()).toEqual({ running: ARGON2_CONCURRENCY, waiting: 6 - ARGON2_CONCURRENCY });
    expect(await Promise.all(checks)).toEqual([true, false, true, false, true, false]);
    expect(argon2Load()).toEqual({ running: 0, waiting: 0 });
  });

  it('counts a verification as performed once argon2 has run to the end, and records the parameters of its hash alone', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const weak = await argon2.hash('correct horse battery staple', { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const before = argon2VerificationsPerformed().count;
    expect(await verifyPassword(hash, 'wrong horse')).toBe(false);
    expect(argon2VerificationsPerformed()).toEqual({ count: before + 1, lastParameters: expect.any(String) });
    const { lastParameters } = argon2VerificationsPerformed();
    expect(argon2Parameters(lastParameters)).toEqual(CURRENT_ARGON2);
    // Neither salt nor digest: the head of the hash only.
    expect(lastParameters?.split('$')).toHaveLength(4);
    expect(hash.startsWith(`${lastParameters ?? ''}$`)).toBe(true);
    expect(await verifyPassword(weak, 'correct horse battery staple')).toBe(true);
    expect(argon2VerificationsPerformed().count).toBe(before + 2);
    expect(argon2Parameters(argon2VerificationsPerformed().lastParameters)).toMatchObject({ m: 4096, t: 1 });
    // A malformed hash is refused by argon2 at once: no verification was performed.
    for (const malformed of ['', 'not-a-hash', '$argon2id$v=19$m=19456,t=2,p=1$']) expect(await verifyPassword(malformed, 'x')).toBe(false);
    expect(argon2VerificationsPerformed().count).toBe(before + 2);
  });
});
