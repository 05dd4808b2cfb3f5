// Recovery codes: ten single-use 50-bit codes from an unambiguous alphabet, stored keyed and bound to their person
// (`h1:`), codes stored before that as plain SHA-256 still found.
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  legacyRecoveryCodeHash,
  looksLikeRecoveryCode,
  newRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_ALPHABET,
  recoveryCodeCandidates,
  recoveryCodeHash,
  rekeyRecoveryCodeHash,
} from '../../src/auth/recovery-codes.js';
import { secretBox } from '../../src/auth/secret-box.js';

const KEY = Buffer.alloc(32, 7);
const box = secretBox(KEY);
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

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
    const seen = new Set(
      Array.from({ length: 40 }, () => newRecoveryCodes().join(''))
        .join('')
        .replace(/-/g, ''),
    );
    expect([...seen].every((symbol) => RECOVERY_ALPHABET.includes(symbol))).toBe(true);
    expect(seen.size).toBe(32);
  });

  it('are read as typed: any case, spaces and dashes ignored, l and 1 taken for i', () => {
    expect(normalizeRecoveryCode(' ABCDE-fghjk ')).toBe('abcdefghjk');
    expect(normalizeRecoveryCode('abc de fg-hjk')).toBe('abcdefghjk');
    expect(normalizeRecoveryCode('l1iIa-bcdef')).toBe('iiiiabcdef');
  });

  it('are stored keyed, never as the SHA-256 of the code: h1: and one AES block under a key derived for it (HKDF), bound to the person', () => {
    const stored = recoveryCodeHash(box, 'user-1', 'abcde-fghjk');
    expect(stored).toMatch(/^h1:[A-Za-z0-9_-]{22}$/);
    // What a sweep of 2^50 SHA-256 hashes over a database copy would look for: none of it is there.
    expect(stored).not.toContain(sha256('abcdefghjk'));
    expect(stored).not.toContain(sha256('abcde-fghjk'));
    // Recomputed here from the description alone (node:crypto): HKDF-SHA-256 with its own label, AES-256 on the
    // first 16 bytes of SHA-256(label, user id, normalized code).
    const lookupKey = Buffer.from(hkdfSync('sha256', KEY, Buffer.alloc(0), 'gatehouse/secret-box/lookup-key/v1', 32));
    const digest = createHash('sha256').update('gatehouse/recovery-code/v1\0user-1\0abcdefghjk').digest().subarray(0, 16);
    const cipher = createCipheriv('aes-256-ecb', lookupKey, null).setAutoPadding(false);
    expect(stored).toBe('h1:' + Buffer.concat([cipher.update(digest), cipher.final()]).toString('base64url'));
    // The sealing key itself is not the lookup key.
    const raw = createCipheriv('aes-256-ecb', KEY, null).setAutoPadding(false);
    expect(stored).not.toBe('h1:' + Buffer.concat([raw.update(digest), raw.final()]).toString('base64url'));
  });

  it('are the same however typed, and differ between people and between keys', () => {
    const stored = recoveryCodeHash(box, 'user-1', 'abcde-fghjk');
    expect(recoveryCodeHash(box, 'user-1', 'ABCDE FGHJK')).toBe(stored);
    expect(recoveryCodeHash(box, 'user-1', 'abcde-fghjm')).not.toBe(stored);
    expect(recoveryCodeHash(box, 'user-2', 'abcde-fghjk')).not.toBe(stored);
    expect(recoveryCodeHash(secretBox(Buffer.alloc(32, 8)), 'user-1', 'abcde-fghjk')).not.toBe(stored);
  });

  it('are looked up keyed first, then as codes stored before (plain SHA-256 of the normalized code)', () => {
    expect(legacyRecoveryCodeHash('ABCDE FGHJK')).toBe(sha256('abcdefghjk'));
    expect(recoveryCodeCandidates(box, 'user-1', 'abcde-fghjk')).toEqual([recoveryCodeHash(box, 'user-1', 'abcde-fghjk'), sha256('abcdefghjk')]);
  });

  it('move from one key to another (idp export, idp import); legacy values move as they are; a malformed one is refused', () => {
    const other = secretBox(Buffer.alloc(32, 9));
    const moved = rekeyRecoveryCodeHash(recoveryCodeHash(box, 'user-1', 'abcde-fghjk'), box, other);
    expect(moved).toBe(recoveryCodeHash(other, 'user-1', 'abcde-fghjk'));
    expect(rekeyRecoveryCodeHash(sha256('abcdefghjk'), box, other)).toBe(sha256('abcdefghjk'));
    expect(rekeyRecoveryCodeHash('h1:short', box, other)).toBeNull();
  });

  it('are told apart from six-digit TOTP codes', () => {
    expect(looksLikeRecoveryCode(newRecoveryCodes()[0]!)).toBe(true);
    expect(looksLikeRecoveryCode('123 456')).toBe(false);
    expect(looksLikeRecoveryCode('abcde-fghj')).toBe(false);
  });
});
