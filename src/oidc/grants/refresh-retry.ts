// Idempotent refresh retries (REFRESH_REUSE_GRACE, issue 20). Strict rotation (RFC 9700 §4.14.2) treats every
// second presentation of a refresh token as theft and revokes the family. But a phone that lost the answer to its
// refresh and retries, or two tabs of one single-page app refreshing at once, present a spent token too, and
// their person is signed out for it. Within a short grace after the rotation, the same client presenting the
// same spent token again receives the same successor (and new access and ID tokens), provided the successor has
// not been used: the family still has one live refresh token, held by the one client it was issued to.
//
// The successor is derived from the token it replaces (HMAC-SHA-256 under a key of its own from the secrets key),
// never stored in clear and never chosen twice: every node computes the same one, and the retry can hand it out
// again, or record it if the answer it replaces never got as far as recording it.
import { createHmac } from 'node:crypto';
import type { Config } from '../../config.js';
import type { SecretBox } from '../../auth/secret-box.js';
import type { ClientRecord, RefreshTokenRecord } from '../../store/records.js';

/** RFC 5869 `info` of the successor key: a label of its own keeps it apart from every other use of the secrets key. */
const SUCCESSOR_KEY_INFO = 'gatehouse/refresh-token/successor/v1';

const successorKeys = new WeakMap<SecretBox, Buffer>();

/** The refresh token that replaces `presented`: 32 bytes, base64url, as a random one. */
export function successorToken(box: SecretBox, presented: string): string {
  let key = successorKeys.get(box);
  // Stryker disable next-line ConditionalExpression: equivalent; the cache saves an HKDF per refresh, and deriving again gives the same key
  if (!key) {
    key = box.subkey(SUCCESSOR_KEY_INFO);
    // Stryker disable next-line BlockStatement,CallExpression: equivalent; without the cache the same key is derived again
    successorKeys.set(box, key);
  }
  return createHmac('sha256', key).update(presented).digest('base64url');
}

/** The client's grace in milliseconds: its own setting, else the server's. */
export function reuseGraceOf(config: Pick<Config, 'refreshReuseGrace'>, client: ClientRecord): number {
  return (client.refreshReuseGrace ?? config.refreshReuseGrace) * 1000;
}

/**
 * Whether a spent token presented again is a retry the grace covers: rotated (not revoked) no longer ago than the
 * grace. The caller has checked the client: a token presented by another client is never a retry. Whether the
 * successor is still unused is the caller's next check.
 */
export function withinGrace(record: RefreshTokenRecord, graceMs: number, now: number): boolean {
  return graceMs > 0 && record.revokedAt === null && record.rotatedAt !== null && now - record.rotatedAt <= graceMs;
}
