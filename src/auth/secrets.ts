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

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret));
  const stored = Buffer.from(storedHash);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
