// The successor of a refresh token (src/oidc/grants/refresh-retry.ts): derived, so every node and every retry
// computes the same one, and unpredictable without the secrets key. Checked against RFC 5869 HKDF and RFC 2104
// HMAC computed here from their definitions, not through the module's own helpers.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secretBox } from '../../src/auth/secret-box.js';
import { reuseGraceOf, successorToken, withinGrace } from '../../src/oidc/grants/refresh-retry.js';
import type { ClientRecord, RefreshTokenRecord } from '../../src/store/records.js';

const hmac = (key: Buffer, data: Buffer | string) => createHmac('sha256', key).update(data).digest();

/** RFC 5869 §2.2-2.3 with an empty salt (HashLen zeros) and one output block (L = 32). */
function hkdf(ikm: Buffer, info: string): Buffer {
  const prk = hmac(Buffer.alloc(32), ikm);
  return hmac(prk, Buffer.concat([Buffer.from(info), Buffer.from([1])]));
}

describe('refresh token successors', () => {
  const key = Buffer.alloc(32, 9);
  const box = secretBox(key);

  it('is HMAC-SHA-256 of the presented token under the HKDF subkey labelled for successors, base64url', () => {
    const expected = hmac(hkdf(key, 'gatehouse/refresh-token/successor/v1'), 'the-presented-token').toString('base64url');
    expect(successorToken(box, 'the-presented-token')).toBe(expected);
    expect(successorToken(box, 'the-presented-token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is the same for the same token on every box with the same key, and differs with the token or the key', () => {
    expect(successorToken(secretBox(Buffer.alloc(32, 9)), 'a')).toBe(successorToken(box, 'a'));
    expect(successorToken(box, 'b')).not.toBe(successorToken(box, 'a'));
    expect(successorToken(secretBox(Buffer.alloc(32, 8)), 'a')).not.toBe(successorToken(box, 'a'));
  });

  it('derives subkeys per label, none of them the secrets key itself', () => {
    expect(box.subkey('one')).toEqual(hkdf(key, 'one'));
    expect(box.subkey('one')).not.toEqual(box.subkey('two'));
    expect(box.subkey('one')).toHaveLength(32);
    expect(box.subkey('one')).not.toEqual(key);
  });
});

describe('the reuse grace', () => {
  const client = (refreshReuseGrace: number | null) => ({ refreshReuseGrace }) as ClientRecord;
  const rotated = (rotatedAt: number | null, revokedAt: number | null = null) => ({ rotatedAt, revokedAt }) as RefreshTokenRecord;

  it("is the client's own when it has one (0 included), the server's otherwise, in milliseconds", () => {
    expect(reuseGraceOf({ refreshReuseGrace: 30 }, client(10))).toBe(10_000);
    expect(reuseGraceOf({ refreshReuseGrace: 30 }, client(0))).toBe(0);
    expect(reuseGraceOf({ refreshReuseGrace: 30 }, client(null))).toBe(30_000);
  });

  it('covers a rotated, unrevoked token up to and including the last millisecond of the grace', () => {
    expect(withinGrace(rotated(1000), 10_000, 11_000)).toBe(true);
    expect(withinGrace(rotated(1000), 10_000, 11_001)).toBe(false);
    expect(withinGrace(rotated(1000), 0, 1000)).toBe(false);
    expect(withinGrace(rotated(1000, 1500), 10_000, 2000)).toBe(false);
    expect(withinGrace(rotated(null), 10_000, 2000)).toBe(false);
  });
});
