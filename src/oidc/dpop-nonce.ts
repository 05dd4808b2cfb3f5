// DPoP server nonces (RFC 9449 §8, §9). A nonce limits how long a proof made in advance stays usable: a client that
// captured (or pre-computed) proofs cannot use them once the nonce it put in them is no longer accepted.
//
// Stateless, so that every node of a cluster issues and accepts the same nonces without a shared table: a nonce is
// base64url(slot ‖ HMAC-SHA-256(subkey, slot)[0..16)), where the slot is the 5-minute interval it was issued in (8
// bytes, big-endian) and the subkey is derived from the secrets key under a label of its own, the same on every node.
// The current slot's and the previous slot's nonces are accepted, so a nonce lives between 5 and 10 minutes. RFC 9449
// §8 leaves the nonce's content to the server ("opaque to the client"); a nonce need not be unique, only fresh.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../auth/secret-box.js';
import type { Clock } from '../clock.js';

/** RFC 5869 `info` of the nonce key: independent of every other key derived from the secrets key. */
export const DPOP_NONCE_KEY_INFO = 'gatehouse/dpop-nonce/v1';
/** How long one slot lasts, in milliseconds: a nonce issued in it is accepted during it and during the next. */
export const DPOP_NONCE_SLOT_MS = 5 * 60 * 1000;
const SLOT_BYTES = 8;
const MAC_BYTES = 16;
/** base64url of 24 bytes. */
const NONCE_LENGTH = 32;
const NONCE = /^[A-Za-z0-9_-]{32}$/;

export class DpopNonces {
  constructor(
    private readonly clock: Clock,
    private readonly key: Buffer,
  ) {}

  /** A nonce of the slot the clock is in, for the DPoP-Nonce response header. */
  issue(): string {
    return this.nonceOf(this.currentSlot());
  }

  /** Whether `nonce` is one this server issued in the current or the previous slot. Constant time in the MAC. */
  isValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH || !NONCE.test(nonce)) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    const slot = bytes.readBigUInt64BE(0);
    const current = this.currentSlot();
    if (slot !== current && slot !== current - 1n) return false;
    return timingSafeEqual(bytes.subarray(SLOT_BYTES), this.macOf(slot));
  }

  private currentSlot(): bigint {
    return BigInt(Math.floor(this.clock.now() / DPOP_NONCE_SLOT_MS));
  }

  private slotBytes(slot: bigint): Buffer {
    const bytes = Buffer.alloc(SLOT_BYTES);
    bytes.writeBigUInt64BE(slot);
    return bytes;
  }

  private macOf(slot: bigint): Buffer {
    return createHmac('sha256', this.key).update(this.slotBytes(slot)).digest().subarray(0, MAC_BYTES);
  }

  private nonceOf(slot: bigint): string {
    return Buffer.concat([this.slotBytes(slot), this.macOf(slot)]).toString('base64url');
  }
}

/** The nonces of a server whose secrets key is `box` (the same key, the same nonces, on every node). */
export function dpopNoncesOf(clock: Clock, box: SecretBox): DpopNonces {
  return new DpopNonces(clock, box.subkey(DPOP_NONCE_KEY_INFO));
}
