// DPoP server nonces (src/oidc/dpop-nonce.ts, RFC 9449 §8): stateless, 5-minute slots, the current and the previous
// slot accepted, the same on every node that shares the secrets key, and nothing else accepted.
import { describe, expect, it } from 'vitest';
import { secretBox } from '../../src/auth/secret-box.js';
import { DPOP_NONCE_SLOT_MS, DpopNonces, dpopNoncesOf } from '../../src/oidc/dpop-nonce.js';
import { FakeClock } from '../helpers/fake-clock.js';

const START = Date.parse('2025-06-01T12:00:00Z');
const KEY = Buffer.alloc(32, 9);

describe('DPoP nonces (RFC 9449 §8)', () => {
  it('accepts a nonce it issued, during its slot and the next one, and no longer', () => {
    const clock = new FakeClock(START);
    const nonces = new DpopNonces(clock, KEY);
    const nonce = nonces.issue();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(nonces.isValid(nonce)).toBe(true);
    clock.advance(DPOP_NONCE_SLOT_MS);
    expect(nonces.isValid(nonce)).toBe(true);
    expect(nonces.issue()).not.toBe(nonce);
    clock.advance(DPOP_NONCE_SLOT_MS);
    expect(nonces.isValid(nonce)).toBe(false);
  });

  it('refuses a nonce of a slot that has not begun (a clock set back, or a forged slot)', () => {
    const clock = new FakeClock(START + 3 * DPOP_NONCE_SLOT_MS);
    const nonces = new DpopNonces(clock, KEY);
    const future = nonces.issue();
    clock.advance(-2 * DPOP_NONCE_SLOT_MS);
    expect(nonces.isValid(future)).toBe(false);
  });

  it('gives every node with the same secrets key the same nonces, and a node with another key refuses them', () => {
    const clock = new FakeClock(START);
    const one = dpopNoncesOf(clock, secretBox(KEY));
    const two = dpopNoncesOf(clock, secretBox(Buffer.from(KEY)));
    const stranger = dpopNoncesOf(clock, secretBox(Buffer.alloc(32, 10)));
    expect(two.isValid(one.issue())).toBe(true);
    expect(stranger.isValid(one.issue())).toBe(false);
  });

  it('derives its key under a label of its own: the secrets key itself makes other nonces', () => {
    const clock = new FakeClock(START);
    expect(new DpopNonces(clock, KEY).isValid(dpopNoncesOf(clock, secretBox(KEY)).issue())).toBe(false);
  });

  it('refuses anything else: a changed MAC, a changed slot, other lengths, other types', () => {
    const clock = new FakeClock(START);
    const nonces = new DpopNonces(clock, KEY);
    const nonce = nonces.issue();
    const bytes = Buffer.from(nonce, 'base64url');
    const lastChanged = Buffer.from(bytes);
    lastChanged.writeUInt8(lastChanged.readUInt8(23) ^ 1, 23);
    expect(nonces.isValid(lastChanged.toString('base64url'))).toBe(false);
    const slotChanged = Buffer.from(bytes);
    slotChanged.writeUInt8(slotChanged.readUInt8(7) ^ 1, 7);
    expect(nonces.isValid(slotChanged.toString('base64url'))).toBe(false);
    for (const other of ['', nonce.slice(1), `${nonce}A`, nonce.replace(/.$/, '='), 42, null, undefined, [nonce], { nonce }]) {
      expect(nonces.isValid(other)).toBe(false);
    }
  });
});
