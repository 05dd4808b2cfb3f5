// private_key_jwt (RFC 7523 §2.2 and §3, OIDC Core §9): the client proves itself with a JWT signed by its private
// key. The JWT is checked as RFC 7523 §3 asks: `iss` and `sub` are the client id, `aud` names us (the issuer, the
// token endpoint, or the endpoint being called), `exp` is in the future and close (at most 5 minutes ahead, so
// that the jti need only be remembered that long), `nbf` and `iat` are not in the future, and the `jti` is used
// once (§3 (7), store.clientAssertions). Only asymmetric algorithms are accepted, listed here: never `none`, never
// an HMAC, whose "secret" an attacker would take from the client's public key (RFC 8725 §2.1, §3.1). jose checks
// the algorithm against this list before it looks for a key.
import { decodeJwt, errors, jwtVerify } from 'jose';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { JwksUnavailable, type ClientKeys } from './client-jwks.js';

/** RFC 7523 §2.2: the client_assertion_type of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Advertised by discovery as `…_endpoint_auth_signing_alg_values_supported`. */
export const ASSERTION_SIGNING_ALGS = ['RS256', 'PS256', 'ES256'];

/** Clock skew allowed on exp, nbf and iat, in seconds. */
export const ASSERTION_SKEW_SECONDS = 30;
/** The furthest ahead `exp` may be (before the skew), in seconds. */
export const ASSERTION_MAX_LIFETIME_SECONDS = 300;
const MAX_JTI_LENGTH = 200;
/** Longer than any assertion a client needs (a few claims and a 4096-bit RSA signature). */
export const MAX_ASSERTION_LENGTH = 8192;

export type AssertionFailure = 'invalid_assertion' | 'replayed_assertion' | 'jwks_unavailable';

export type AssertionOutcome = { valid: true } | { valid: false; refused: AssertionFailure; detail: string };

export interface AssertionContext {
  store: Store;
  keys: ClientKeys;
  /** The `aud` values that name us: the issuer, the token endpoint, the endpoint being called. */
  audiences: string[];
  now: number;
}

/** The assertion's unverified `iss`, for finding the client when the request names none; null if unreadable. */
export function assertionIssuer(assertion: string): string | null {
  if (assertion.length > MAX_ASSERTION_LENGTH) return null;
  try {
    const { iss } = decodeJwt(assertion);
    return typeof iss === 'string' && iss !== '' ? iss : null;
  } catch {
    return null;
  }
}

const refused = (reason: AssertionFailure, detail: string): AssertionOutcome => ({ valid: false, refused: reason, detail: detail.slice(0, 300) });

/** Why jose refused the JWT, for the log: its own messages name the claim or check, never a secret. */
function joseReason(error: unknown): AssertionOutcome {
  if (error instanceof JwksUnavailable) return refused('jwks_unavailable', error.message);
  if (error instanceof errors.JWKSNoMatchingKey) return refused('invalid_assertion', 'no key of the client matches the assertion (kid and alg)');
  if (error instanceof errors.JOSEAlgNotAllowed) return refused('invalid_assertion', 'the assertion is not signed with RS256, PS256 or ES256');
  if (error instanceof errors.JOSEError) return refused('invalid_assertion', `${error.code}: ${error.message}`);
  throw error;
}

/**
 * Whether `assertion` proves `client` (registered with private_key_jwt). The signature is checked first, then the
 * claims, and only then is the jti spent: a forged or late assertion uses up nothing.
 */
export async function verifyClientAssertion(ctx: AssertionContext, client: ClientRecord, assertion: string): Promise<AssertionOutcome> {
  if (assertion.length > MAX_ASSERTION_LENGTH) return refused('invalid_assertion', `the assertion is longer than ${MAX_ASSERTION_LENGTH} characters`);
  const nowSeconds = Math.floor(ctx.now / 1000);
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    const resolver = ctx.keys.resolverFor(client);
    ({ payload } = await jwtVerify(assertion, resolver, {
      algorithms: ASSERTION_SIGNING_ALGS,
      issuer: client.clientId,
      subject: client.clientId,
      audience: ctx.audiences,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: ASSERTION_SKEW_SECONDS,
      currentDate: new Date(ctx.now),
    }));
  } catch (error) {
    return joseReason(error);
  }
  // jose has checked that exp is a number in the future (with the skew) and nbf not in the future.
  const exp = payload.exp as number;
  if (exp > nowSeconds + ASSERTION_MAX_LIFETIME_SECONDS + ASSERTION_SKEW_SECONDS) {
    return refused('invalid_assertion', `the assertion expires more than ${ASSERTION_MAX_LIFETIME_SECONDS} seconds ahead`);
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + ASSERTION_SKEW_SECONDS) return refused('invalid_assertion', 'the assertion was issued in the future');
  const { jti } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return refused('invalid_assertion', `the assertion's jti must be text of 1 to ${MAX_JTI_LENGTH} characters`);
  // Remembered until the assertion can no longer pass the exp check, skew included.
  const first = await ctx.store.clientAssertions.use(client.clientId, jti, (exp + ASSERTION_SKEW_SECONDS) * 1000);
  if (!first) return refused('replayed_assertion', 'the assertion was used before (jti)');
  return { valid: true };
}
