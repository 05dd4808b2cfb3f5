// Moving stored recovery code values between keys (`idp export` / `idp import`, src/auth/recovery-codes.ts): a
// value that claims the keyed format must be exactly one block in canonical base64url, or it is refused (null)
// rather than moved into something that matches no code, or thrown on.
import { describe, expect, it } from 'vitest';
import { recoveryCodeHash, rekeyRecoveryCodeHash } from '../../src/auth/recovery-codes.js';
import { secretBox } from '../../src/auth/secret-box.js';

const from = secretBox(Buffer.alloc(32, 7));
const to = secretBox(Buffer.alloc(32, 9));

describe('rekeyRecoveryCodeHash with values that claim the keyed format (h1:)', () => {
  it('refuses a value of more or fewer than 16 bytes, even in canonical base64url', () => {
    for (const bytes of [15, 17, 32]) {
      const value = `h1:${Buffer.alloc(bytes, 3).toString('base64url')}`;
      expect(rekeyRecoveryCodeHash(value, from, to), value).toBeNull();
    }
  });

  it('refuses 16 bytes written in a non-canonical form (unused trailing bits set, stray characters, padding)', () => {
    const canonical = Buffer.alloc(16, 0).toString('base64url');
    expect(canonical).toBe('A'.repeat(22));
    for (const value of [`h1:${'A'.repeat(21)}B`, `h1:${canonical}==`, `h1:${canonical.slice(0, 11)}.${canonical.slice(11)}`, `h1:${canonical} `]) {
      expect(rekeyRecoveryCodeHash(value, from, to), value).toBeNull();
    }
    expect(rekeyRecoveryCodeHash(`h1:${canonical}`, from, to)).toMatch(/^h1:[A-Za-z0-9_-]{22}$/);
  });

  it('moves a well-formed value so that it matches the same code under the new key, and only there', () => {
    const moved = rekeyRecoveryCodeHash(recoveryCodeHash(from, 'user-1', 'abcde-fghjk'), from, to);
    expect(moved).toBe(recoveryCodeHash(to, 'user-1', 'abcde-fghjk'));
    expect(moved).not.toBe(recoveryCodeHash(from, 'user-1', 'abcde-fghjk'));
  });
});
