// Recovery codes: ten single-use 50-bit codes from an unambiguous alphabet, stored as SHA-256 hashes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_ALPHABET } from '../../src/auth/recovery-codes.js';

describe('recovery codes', () => {
  it('come ten at a time, distinct, shown as two groups of five', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  });

  it('never use the look-alikes 0, o, 1 or l, and carry at least 50 bits each', () => {
    expect(new Set(RECOVERY_ALPHABET).size).toBe(32);
    expect(RECOVERY_ALPHABET).not.toMatch(/[0o1lA-Z]/);
    expect(10 * Math.log2(RECOVERY_ALPHABET.length)).toBeGreaterThanOrEqual(50);
    const seen = new Set(Array.from({ length: 40 }, () => newRecoveryCodes().join('')).join('').replace(/-/g, ''));
    expect([...seen].every((symbol) => RECOVERY_ALPHABET.includes(symbol))).toBe(true);
    expect(seen.size).toBe(32);
  });

  it('are read as typed: any case, spaces and dashes ignored, l and 1 taken for i', () => {
    expect(normalizeRecoveryCode(' ABCDE-fghjk ')).toBe('abcdefghjk');
    expect(normalizeRecoveryCode('abc de fg-hjk')).toBe('abcdefghjk');
    expect(normalizeRecoveryCode('l1iIa-bcdef')).toBe('iiiiabcdef');
  });

  it('are stored as the SHA-256 (base64url) of the normalized code, the same however typed', () => {
    const expected = createHash('sha256').update('abcdefghjk').digest('base64url');
    expect(hashRecoveryCode('abcde-fghjk')).toBe(expected);
    expect(hashRecoveryCode('ABCDE FGHJK')).toBe(expected);
    expect(hashRecoveryCode('abcde-fghjm')).not.toBe(expected);
  });

  it('are told apart from six-digit TOTP codes', () => {
    expect(looksLikeRecoveryCode(newRecoveryCodes()[0]!)).toBe(true);
    expect(looksLikeRecoveryCode('123 456')).toBe(false);
    expect(looksLikeRecoveryCode('abcde-fghj')).toBe(false);
  });
});
