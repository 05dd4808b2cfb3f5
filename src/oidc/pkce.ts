// Proof Key for Code Exchange (RFC 7636), S256 only.
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../auth/secrets.js';

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function isWellFormedVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier);
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) equals the challenge, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const hash = createHash('sha256');
  // Stryker disable next-line StringLiteral: equivalent; callers pass only a verifier isWellFormedVerifier accepted (ASCII), whose bytes are the same in every encoding.
  hash.update(verifier, 'ascii');
  return constantTimeEqual(hash.digest('base64url'), challenge);
}
