// Random identifiers and secrets, and how secrets are stored: 256-bit random, base64url, kept only as SHA-256.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 256-bit secret (client secret, code, refresh token, session id). */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A 128-bit random identifier (user id / `sub`, client_id): unguessable and non-sequential. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** SHA-256, base64url: enough for 256-bit random secrets, which cannot be guessed or brute-forced. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Compares two strings in constant time (for equal lengths): a presented secret or token against the expected one. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(secret), storedHash);
}
