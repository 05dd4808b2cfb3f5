// Stored password hashes are readable outside Gatehouse (issue 20): checked with an independent implementation,
// Debian's python3-argon2 (argon2-cffi on the reference C library, libargon2), not with the library that wrote
// them. Before this, argon2-cffi answered "Decoding failed" for every Gatehouse hash (parameters in the order
// m,p,t); the same hash in the order m,t,p verifies. Needs /usr/bin/python3 with argon2 (`.ci/run` installs it).
import { execFileSync } from 'node:child_process';
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { canonicalArgon2 } from '../../src/auth/phc.js';

/** argon2-cffi's verdict: 'ok', 'mismatch', or its error for a hash it cannot read. */
function pythonVerify(hash: string, password: string): string {
  const script = [
    'import sys, argon2',
    'from argon2.exceptions import VerifyMismatchError',
    'try:',
    '    argon2.PasswordHasher().verify(sys.argv[1], sys.argv[2].encode("utf-8"))',
    '    print("ok")',
    'except VerifyMismatchError:',
    '    print("mismatch")',
    'except Exception as error:',
    '    print(type(error).__name__ + ": " + str(error))',
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-c', script, hash, password], { encoding: 'utf8' }).trim();
}

describe('password hashes other argon2 implementations read', () => {
  it('writes the canonical PHC order m,t,p', async () => {
    expect(await hashPassword('correct horse battery staple')).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('is verified by argon2-cffi (libargon2): the right password matches, a wrong one does not', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(pythonVerify(hash, 'correct horse battery staple')).toBe('ok');
    expect(pythonVerify(hash, 'correct horse battery stable')).toBe('mismatch');
  });

  it('hashes the NFKC form of the password (NIST SP 800-63B), which is what another implementation must be given', async () => {
    const typed = 'ｃａｆé ｐａｓｓｐｈｒａｓｅ ｏｆ ｍｉｎｅ';
    const hash = await hashPassword(typed);
    expect(pythonVerify(hash, typed.normalize('NFKC'))).toBe('ok');
  });

  it('the order argon2 0.45.1 writes is refused by libargon2, and reads once put in canonical order', async () => {
    const libraryOrder = await argon2.hash('correct horse battery staple', ARGON2_OPTIONS);
    expect(libraryOrder).toMatch(/\$m=19456,p=1,t=2\$/);
    expect(pythonVerify(libraryOrder, 'correct horse battery staple')).toMatch(/^InvalidHashError|Decoding failed/);
    expect(pythonVerify(canonicalArgon2(libraryOrder), 'correct horse battery staple')).toBe('ok');
    // Gatehouse reads both orders: hashes stored before this change keep working.
    expect(await verifyPassword(libraryOrder, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(canonicalArgon2(libraryOrder), 'correct horse battery staple')).toBe(true);
  });

  it('verifies a hash argon2-cffi wrote', async () => {
    const script = 'import sys, argon2\nprint(argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(sys.argv[1]))';
    const foreign = execFileSync('/usr/bin/python3', ['-c', script, 'written elsewhere entirely'], { encoding: 'utf8' }).trim();
    expect(foreign).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(foreign, 'written elsewhere entirely')).toBe(true);
    expect(await verifyPassword(foreign, 'written elsewhere entirelY')).toBe(false);
  });
});
