// The blocklist of the password policy (NIST SP 800-63B §3.1.1.2: "passwords obtained from previous breach
// corpuses", resources/common-passwords.txt) is read on first use and kept: each test here loads the policy
// module afresh, so that what it checks is the list as read from the file by a process that has not read it before.
import { beforeEach, describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from '../../src/auth/password-policy.js';
import { ValidationError } from '../../src/errors.js';

const EMAIL = 'grace.hopper@example.com';

type Policy = typeof import('../../src/auth/password-policy.js');

let loads = 0;

/**
 * The policy module evaluated afresh (a query makes it a module of its own), its imports shared: only the
 * policy's own state, the list read on first use, starts empty.
 */
async function freshPolicy(): Promise<Policy> {
  loads += 1;
  return (await import(/* @vite-ignore */ `../../src/auth/password-policy.js?fresh=${loads}`)) as Policy;
}

/** Whether a freshly loaded policy refuses `password` as a common one. */
function isRefusedAsCommon(policy: Policy, password: string): boolean {
  try {
    policy.checkPasswordPolicy(password, { email: EMAIL, minLength: 6 });
    return false;
  } catch (error) {
    if (error instanceof ValidationError && /most common passwords/.test(error.message)) return true;
    throw error;
  }
}

describe('the common-password list, as first read (NIST SP 800-63B §3.1.1.2)', () => {
  let policy: Policy;
  beforeEach(async () => {
    policy = await freshPolicy();
  });

  it('refuses its first, a middle and its last entry, whatever the case typed', () => {
    for (const password of ['123456', 'password', 'PassWord', 'lizaveta', 'LIZAVETA', 'qqqqqq1']) expect(isRefusedAsCommon(policy, password), password).toBe(true);
  });

  it('accepts a password that is not on the list', () => {
    expect(isRefusedAsCommon(policy, 'qzvbwkro')).toBe(false);
  });

  it('answers as the policy the process loaded first does', () => {
    const loadedFirst = { checkPasswordPolicy } as Policy;
    for (const password of ['password', 'lizaveta', 'qzvbwkro']) expect(isRefusedAsCommon(policy, password)).toBe(isRefusedAsCommon(loadedFirst, password));
  });
});
