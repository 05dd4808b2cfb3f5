// DPoP at Gatehouse's own protected resources (issue 28): userinfo and the management API. RFC 9449 §7: a DPoP-bound
// access token comes as `Authorization: DPoP <token>` with a `DPoP` proof for this request (htm, htu, our nonce, and
// `ath`, the hash of that very token); a bearer token as `Authorization: Bearer <token>` (RFC 6750 §2.1). The steps:
//
//   0. nonceForDpopRequest (src/oidc/dpop.ts): any request that carried a DPoP header is answered with a fresh DPoP-Nonce, success or
//      refusal (RFC 9449 §8, §9), whatever else is wrong with it.
//   1. presentedProof: before the token is looked at, the proof of a DPoP request is checked (writes nothing), so
//      that a client without our nonce learns it first (use_dpop_nonce, RFC 9449 §9).
//   2. requireBinding: once the token is known to be ours and live, its binding must match how it came. A bound
//      token sent as Bearer is refused (RFC 9449 §7.2: else a stolen bound token would work as a bearer token); an
//      unbound token sent as DPoP is refused too (§7.1: the scheme says the token is bound); the proof's key must be
//      the token's `cnf.jkt` (§6.1).
//   3. The resource's own checks; then proofs.spend (the proof's jti, one winner), last, so a refusal spends nothing.
import type { Request, Response } from 'express';
import { InvalidDpopProof, InvalidToken } from '../errors.js';
import { markProtectedResource } from '../http/error-handler.js';
import type { RouteName } from '../http/routes.js';
import type { DpopProof, DpopProofs } from './dpop.js';

export type TokenScheme = 'Bearer' | 'DPoP';

export interface AuthorizationToken {
  scheme: TokenScheme;
  token: string;
}

/**
 * The token of an `Authorization: Bearer …` or `Authorization: DPoP …` header (schemes case-insensitive, RFC 9110
 * §11.1; one or more spaces before the token); null when there is no header or it is of another scheme.
 */
export function authorizationToken(header: string | undefined): AuthorizationToken | null {
  if (header === undefined) return null;
  if (/^Bearer /i.test(header)) return { scheme: 'Bearer', token: header.slice(7).trim() };
  if (/^DPoP /i.test(header)) return { scheme: 'DPoP', token: header.slice(5).trim() };
  return null;
}

/**
 * Step 1. Marks the response as a protected resource's (refusals get the challenge of the scheme used) and checks
 * the proof of a DPoP-scheme request: the proof, or null for a bearer token (whose DPoP header, if any, is not ours
 * to judge: the token decides in step 2).
 */
export async function presentedProof(req: Request, res: Response, proofs: DpopProofs, route: RouteName, presented: AuthorizationToken): Promise<DpopProof | null> {
  markProtectedResource(res, { dpop: presented.scheme === 'DPoP' });
  if (presented.scheme !== 'DPoP') return null;
  const proof = await proofs.check(req, { route, accessToken: presented.token });
  // RFC 9449 §7.1: the DPoP scheme without a proof proves nothing.
  if (proof === null) throw new InvalidDpopProof('a DPoP proof is required with the DPoP authorization scheme');
  return proof;
}

/**
 * Step 2. `jkt`: the key the token is bound to (its `cnf.jkt`, RFC 9449 §6), null for a bearer token. Throws
 * InvalidToken, with the DPoP challenge where the answer should lead the client to DPoP.
 */
export function requireBinding(res: Response, presented: AuthorizationToken, proof: DpopProof | null, jkt: string | null): void {
  if (jkt !== null && presented.scheme !== 'DPoP') {
    markProtectedResource(res, { dpop: true });
    throw new InvalidToken('the access token is DPoP-bound: send it with the DPoP scheme (Authorization: DPoP <token>) and a DPoP proof', 'a DPoP-bound token presented as a bearer token');
  }
  if (jkt === null && presented.scheme === 'DPoP') {
    throw new InvalidToken('the access token is not DPoP-bound: send it with the Bearer scheme (Authorization: Bearer <token>)', 'a bearer token presented with the DPoP scheme');
  }
  // Stryker disable next-line ConditionalExpression: proof is null only for the Bearer scheme, refused above when bound
  if (jkt !== null && proof?.jkt !== jkt) {
    throw new InvalidToken('the DPoP proof is not signed by the key the access token is bound to', `proof key ${proof?.jkt ?? 'none'}, token key ${jkt}`);
  }
}

/**
 * The key a token is bound to, from its record and, for a JWT, its signed `cnf.jkt`. Both are written together at
 * issue; should they ever disagree, the token is refused (fail closed) rather than one of them believed.
 */
export function boundKey(recordJkt: string | null | undefined, claims: Readonly<Record<string, unknown>> | null): string | null {
  const fromRecord = recordJkt ?? null;
  if (claims === null) return fromRecord;
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  const fromClaims = typeof cnf?.jkt === 'string' ? cnf.jkt : null;
  if (fromClaims !== fromRecord) throw new InvalidToken('the access token is not valid', `cnf.jkt ${String(fromClaims)} differs from the record's ${String(fromRecord)}`);
  return fromRecord;
}
