// Signed request objects (JAR, RFC 9101): the authorization request's parameters as the claims of a JWT the client
// signed with one of its registered keys (its `jwks` or `jwks_uri`, the private_key_jwt keys: src/oidc/client-jwks.ts),
// sent by value as `request` to /authorize or inside a pushed request (/par). Checked as RFC 9101 §6 and §10 ask:
// an asymmetric algorithm from our list (never `none`, never an HMAC: RFC 8725 §2.1, §3.1), `iss` = the client,
// `aud` = our issuer, `exp` required and close, `nbf` not in the future and not old, `jti` used once (RFC 9101 §10.8,
// store.usedJtis, kind request_object, scope the client). Verifying writes nothing; the jti is spent by
// spendRequestObject once the whole request has passed, so that a refused request uses nothing up.
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidRequestObject } from '../errors.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { RawParams } from './authorization-request.js';
import { JwksUnavailable, type ClientKeys } from './client-jwks.js';

/** Advertised by discovery as `request_object_signing_alg_values_supported`. */
export const REQUEST_OBJECT_SIGNING_ALGS = ['PS256', 'ES256', 'RS256'];
/** The furthest ahead `exp` may be, and the oldest `nbf` may be, in seconds (FAPI 2.0 Message Signing: 60 minutes). */
export const REQUEST_OBJECT_MAX_LIFETIME_SECONDS = 3600;
/** Clock skew allowed on exp, nbf and iat, in seconds. */
export const REQUEST_OBJECT_SKEW_SECONDS = 30;
/** Far longer than any request object a client needs (a dozen parameters and a 4096-bit RSA signature). */
export const MAX_REQUEST_OBJECT_LENGTH = 16 * 1024;
const MAX_JTI_LENGTH = 200;
/**
 * RFC 9101 §4 and §10.8: `oauth-authz-req+jwt` is the request object's own type; a JWT without `typ` (or plain `JWT`)
 * is still accepted, as most clients send it. Any other type is another kind of JWT (a DPoP proof, an access token,
 * an ID token) and never a request object (RFC 8725 §3.11: explicit typing against cross-JWT confusion).
 */
const ACCEPTED_TYPES = new Set(['oauth-authz-req+jwt', 'jwt']);
/** The JWT's own claims: not authorization request parameters. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/** A verified request object: its parameters, and the jti to spend once the request is accepted. */
export interface VerifiedRequestObject {
  params: RawParams;
  jti: string;
  /** When the jti may be forgotten: once the object can no longer pass the exp check (skew included), in ms. */
  jtiExpiresAt: number;
}

export interface RequestObjectContext {
  keys: ClientKeys;
  issuer: string;
  now: number;
}

const refused = (message: string, detail?: string) => new InvalidRequestObject(message, detail?.slice(0, 300));

/** The header, refusing what is not a compact JWS with one of our algorithms before any key is looked for. */
function checkedHeader(request: string): void {
  const parts = request.split('.');
  if (parts.length === 5) throw refused('encrypted request objects are not supported: sign the request object (JWS)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(request);
  } catch {
    throw refused('the request object is not a signed JWT');
  }
  if (parts.length !== 3) throw refused('the request object is not a signed JWT');
  const { alg, typ } = header;
  if (typeof alg !== 'string' || !REQUEST_OBJECT_SIGNING_ALGS.includes(alg)) {
    throw refused(`the request object must be signed with ${REQUEST_OBJECT_SIGNING_ALGS.join(', ')} (unsigned and HMAC request objects are refused)`, `alg ${String(alg)}`);
  }
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase()))) {
    throw refused('the request object has the wrong typ: oauth-authz-req+jwt is expected', `typ ${typ}`);
  }
}

/** Why jose refused the JWT, as the public description; jose's own message (naming the claim) goes to the log. */
function joseRefusal(error: unknown): InvalidRequestObject {
  if (error instanceof JwksUnavailable) return refused("the request object cannot be verified: the client's keys are not available", error.message);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return refused('the request object is not signed by a key registered for this client');
  }
  if (error instanceof errors.JWTExpired) return refused('the request object has expired (exp)', error.message);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const messages: Record<string, string> = {
      iss: 'the request object must be issued by the client (iss = client_id)',
      aud: "the request object's aud must be this server's issuer",
      exp: 'the request object must have an expiry time (exp)',
      jti: 'the request object must have a jti',
      nbf: 'the request object is not valid yet (nbf)',
    };
    return refused(messages[error.claim] ?? `the request object's ${error.claim} claim is invalid`, error.message);
  }
  if (error instanceof errors.JOSEError) return refused('the request object is not a valid signed JWT', `${error.code}: ${error.message}`);
  throw error;
}

/** A claim as an authorization request parameter: text, numbers as text (max_age), `resource` as a list (RFC 8707). */
function asParameter(name: string, value: unknown): string | string[] {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (name === 'resource' && Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value;
  // OIDC Core §6.1 allows JSON values for parameters such as `claims`, which Gatehouse does not support: kept as text,
  // they are ignored as they would be in a query.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return JSON.stringify(value);
  throw refused(`the request object's ${name} must be a string`);
}

/** The request object's claims as the request's only parameters (RFC 9101 §6.3), client_id included. */
function parametersOf(payload: JWTPayload, clientId: string): RawParams {
  // RFC 9101 §4: a request object never holds request or request_uri.
  if (payload.request !== undefined || payload.request_uri !== undefined) throw refused('the request object must not contain request or request_uri');
  // RFC 9101 §5: client_id inside, when present, is the one beside it.
  if (payload.client_id !== undefined && payload.client_id !== clientId) throw refused("the request object's client_id differs from the client_id sent with it");
  const params: RawParams = { client_id: clientId };
  for (const [name, value] of Object.entries(payload)) {
    if (!JWT_CLAIMS.has(name) && name !== 'client_id') params[name] = asParameter(name, value);
  }
  return params;
}

/**
 * Verifies `request` as `client`'s request object and returns its parameters; throws InvalidRequestObject (with a
 * public description and a detail for the log). Writes nothing: spendRequestObject spends its jti.
 */
export async function verifyRequestObject(ctx: RequestObjectContext, client: ClientRecord, request: unknown): Promise<VerifiedRequestObject> {
  if (typeof request !== 'string') throw refused('request is included more than once');
  if (request.length > MAX_REQUEST_OBJECT_LENGTH) throw refused(`the request object is longer than ${MAX_REQUEST_OBJECT_LENGTH} characters`);
  checkedHeader(request);
  // Only a client with registered keys can sign: a client that authenticates with a secret has none (no HMAC).
  if (client.jwks === null && client.jwksUri === null) throw refused('this client has registered no keys (jwks or jwks_uri), so it cannot send request objects');
  const nowSeconds = Math.floor(ctx.now / 1000);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(request, ctx.keys.resolverFor(client), {
      algorithms: REQUEST_OBJECT_SIGNING_ALGS,
      issuer: client.clientId,
      audience: ctx.issuer,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: REQUEST_OBJECT_SKEW_SECONDS,
      currentDate: new Date(ctx.now),
    }));
  } catch (error) {
    throw joseRefusal(error);
  }
  // jose has checked that exp is a number in the future and nbf, if present, not in the future (with the skew).
  const exp = payload.exp as number;
  if (exp > nowSeconds + REQUEST_OBJECT_MAX_LIFETIME_SECONDS + REQUEST_OBJECT_SKEW_SECONDS) {
    throw refused(`the request object expires more than ${REQUEST_OBJECT_MAX_LIFETIME_SECONDS / 60} minutes ahead (exp)`);
  }
  if (payload.nbf !== undefined && payload.nbf < nowSeconds - REQUEST_OBJECT_MAX_LIFETIME_SECONDS - REQUEST_OBJECT_SKEW_SECONDS) {
    throw refused(`the request object's nbf is more than ${REQUEST_OBJECT_MAX_LIFETIME_SECONDS / 60} minutes in the past`);
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + REQUEST_OBJECT_SKEW_SECONDS) throw refused('the request object was issued in the future (iat)');
  const { jti } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw refused(`the request object's jti must be text of 1 to ${MAX_JTI_LENGTH} characters`);
  return { params: parametersOf(payload, client.clientId), jti, jtiExpiresAt: (exp + REQUEST_OBJECT_SKEW_SECONDS) * 1000 };
}

/** RFC 9101 §10.8: a request object is used once. One conditional write; a replay is invalid_request_object. */
export async function spendRequestObject(store: Store, client: ClientRecord, verified: VerifiedRequestObject): Promise<void> {
  const first = await store.usedJtis.use('request_object', client.clientId, verified.jti, verified.jtiExpiresAt);
  if (!first) throw refused('the request object was used before (jti)');
}
