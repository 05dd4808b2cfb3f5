// DPoP proofs (RFC 9449): a client proves, request by request, that it holds the private key its tokens are bound to.
// A proof is a JWT signed by that key, carrying the public key in its header, the request's method and URL, when it
// was made, a unique id and the server's nonce. Checked in full as RFC 9449 §4.3 lists, before anything is written:
// a refused proof spends nothing. Its `jti` is spent afterwards, in a step of its own (`spend`), once the client is
// authenticated, so that a stranger cannot burn a client's proof by sending it first with a wrong password.
import { calculateJwkThumbprint, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { SecretBox } from '../auth/secret-box.js';
import { constantTimeEqual, hashSecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { InvalidDpopProof, UseDpopNonce } from '../errors.js';
import { routeUrl, type RouteName } from '../http/routes.js';
import type { Store } from '../store/store.js';
import { dpopNoncesOf, type DpopNonces } from './dpop-nonce.js';

/**
 * Accepted and advertised (`dpop_signing_alg_values_supported`, RFC 9449 §5.1): asymmetric only. Never `none`, and
 * never an HMAC, which would prove nothing (RFC 9449 §4.3 (5)).
 */
export const DPOP_SIGNING_ALGS = ['ES256', 'PS256', 'EdDSA', 'RS256'];
/** RFC 9449 §4.3 (11), §11.1: how old a proof's `iat` may be, in seconds. */
export const DPOP_IAT_WINDOW_SECONDS = 60;
/** How far ahead of our clock a proof's `iat` may be (the client's clock may run a little fast), in seconds. */
export const DPOP_IAT_SKEW_SECONDS = 10;
/** A proof is a few claims, a public key and a signature; a 4096-bit RSA key's fits easily. */
export const MAX_DPOP_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 200;
const DPOP_TYP = 'dpop+jwt';
/** RFC 9449 §4.3 (7): the members of a private (or symmetric) JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const ASYMMETRIC_KEY_TYPES = ['RSA', 'EC', 'OKP'];

/** A proof that passed every check; `spend` uses up its jti. */
export interface DpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key, base64url: the key's identity (`cnf.jkt`, RFC 9449 §6.1). */
  jkt: string;
  jti: string;
  /** Until when (ms) its jti must be remembered: after that, its `iat` no longer passes. */
  expiresAt: number;
  /** The public key, as the proof's header carried it. */
  jwk: JWK;
}

export interface DpopCheck {
  /** The endpoint receiving the proof: `htu` must be its URL. */
  route: RouteName;
  /** At a protected resource (RFC 9449 §7): the access token presented with the proof, whose hash `ath` must be. */
  accessToken?: string;
}

/** What a proof is checked against: the method and the headers (a Node or Express request). */
export interface DpopRequest {
  method?: string;
  headersDistinct: Record<string, string[] | undefined>;
}

export interface DpopDependencies {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'issuer'>;
  /** Opened on first use (src/http/app.ts): the nonces' key is derived from it. */
  secretBox: () => Promise<SecretBox>;
}

const refuse = (message: string, detail?: string): InvalidDpopProof => new InvalidDpopProof(message, detail);

/** RFC 9449 §4.3 (9): the URL without query and fragment, normalised as WHATWG URL parsing does (RFC 3986 §6.2.2–6.2.3). */
export function normalisedHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  url.search = '';
  url.hash = '';
  return url.href;
}

/** RFC 9449 §4.2: `ath`, the base64url SHA-256 of the access token: the digest hashSecret makes. */
export function accessTokenHash(token: string): string {
  return hashSecret(token);
}

/** The one DPoP header's value; null without one. Refuses two (RFC 9449 §4.3 (1)) and oversized ones. */
function dpopHeaderOf(req: DpopRequest): string | null {
  const values = req.headersDistinct.dpop;
  if (values === undefined || values.length === 0) return null;
  if (values.length > 1) throw refuse('the request must carry exactly one DPoP header');
  const [value] = values as [string];
  if (value.length > MAX_DPOP_PROOF_LENGTH) throw refuse(`the DPoP proof is longer than ${MAX_DPOP_PROOF_LENGTH} characters`);
  return value;
}

/** RFC 9449 §4.3 (4)-(7): the header's typ, alg and jwk, read before the signature is checked against that jwk. */
function checkedHeader(proof: string): { alg: string; jwk: JWK } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw refuse('the DPoP proof is not a JWT');
  }
  if (header.typ !== DPOP_TYP) throw refuse('the DPoP proof must have typ dpop+jwt');
  // The header is untrusted JSON: its types are checked here, whatever jose's type says.
  const { alg } = header;
  const jwk = header.jwk as unknown;
  if (typeof alg !== 'string' || !DPOP_SIGNING_ALGS.includes(alg)) throw refuse(`the DPoP proof must be signed with one of ${DPOP_SIGNING_ALGS.join(', ')}`);
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw refuse('the DPoP proof must carry its public key in the jwk header');
  const { kty } = jwk as { kty?: unknown };
  if (typeof kty !== 'string' || !ASYMMETRIC_KEY_TYPES.includes(kty)) throw refuse('the DPoP proof key must be an asymmetric public key');
  if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member))) throw refuse('the DPoP proof jwk header must not contain a private key');
  return { alg, jwk };
}

/** RFC 9449 §4.3 (6): the signature, by the key in the header, with the algorithm the header names. */
async function verifiedPayload(proof: string, alg: string, jwk: JWK, now: number): Promise<JWTPayload> {
  try {
    const key = await importJWK(jwk, alg);
    const { payload } = await jwtVerify(proof, key, { algorithms: [alg], typ: DPOP_TYP, currentDate: new Date(now) });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) throw refuse('the DPoP proof signature does not verify with its jwk');
    if (error instanceof errors.JOSEError || error instanceof TypeError || error instanceof DOMException) {
      // jose's message names the check (a claim, the key's size or type), never a secret.
      throw refuse('the DPoP proof or its jwk is invalid', error.message.slice(0, 300));
    }
    throw error;
  }
}

export class DpopProofs {
  private nonces: DpopNonces | undefined;
  /** Each endpoint's expected `htu`, normalised once: the issuer does not change while the app runs. */
  private readonly htus = new Map<RouteName, string | null>();

  constructor(private readonly deps: DpopDependencies) {}

  /**
   * The request's proof, checked (RFC 9449 §4.3); null when the request has no DPoP header. Throws InvalidDpopProof,
   * or UseDpopNonce when the proof is good but for the server's nonce. Writes nothing.
   */
  async check(req: DpopRequest, check: DpopCheck): Promise<DpopProof | null> {
    const proof = dpopHeaderOf(req);
    if (proof === null) return null;
    const now = this.deps.clock.now();
    const { alg, jwk } = checkedHeader(proof);
    const payload = await verifiedPayload(proof, alg, jwk, now);
    const { jti, htm, htu, iat } = payload;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw refuse(`the DPoP proof jti must be text of 1 to ${MAX_JTI_LENGTH} characters`);
    if (htm !== req.method) throw refuse('the DPoP proof htm does not match the request method');
    const expected = this.htuOf(check.route);
    if (typeof htu !== 'string' || normalisedHtu(htu) !== expected) throw refuse('the DPoP proof htu does not match the request URL');
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refuse('the DPoP proof must have a numeric iat');
    const nowSeconds = now / 1000;
    if (iat < nowSeconds - DPOP_IAT_WINDOW_SECONDS) throw refuse('the DPoP proof is too old (iat)');
    if (iat > nowSeconds + DPOP_IAT_SKEW_SECONDS) throw refuse('the DPoP proof was issued in the future (iat)');
    if (check.accessToken !== undefined) {
      // RFC 9449 §4.3 (12), §7.1: at a resource, the proof names the token it goes with.
      if (typeof payload.ath !== 'string') throw refuse('the DPoP proof must carry ath, the hash of the access token');
      if (!constantTimeEqual(payload.ath, accessTokenHash(check.accessToken))) throw refuse('the DPoP proof ath does not match the access token');
    }
    // RFC 9449 §8, §9: last, so that use_dpop_nonce means the proof is otherwise good and only needs our nonce.
    const nonces = await this.nonceSource();
    if (!nonces.isValid(payload.nonce)) {
      throw new UseDpopNonce(nonces.issue(), payload.nonce === undefined ? undefined : 'the DPoP proof nonce is not valid or has expired; use the one in the DPoP-Nonce header');
    }
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    // Remembered for as long as its iat passes (the window and the skew), and then some.
    return { jkt, jti, expiresAt: Math.ceil(iat + DPOP_IAT_WINDOW_SECONDS + DPOP_IAT_SKEW_SECONDS) * 1000, jwk };
  }

  /** Spends the proof's jti (one winner, across nodes, RFC 9449 §11.1); a replay is InvalidDpopProof. */
  async spend(proof: DpopProof): Promise<void> {
    const first = await this.deps.store.usedJtis.use('dpop_proof', proof.jkt, proof.jti, proof.expiresAt);
    if (!first) throw refuse('the DPoP proof was used before');
  }

  /** A fresh nonce for the DPoP-Nonce response header. */
  async nonce(): Promise<string> {
    return (await this.nonceSource()).issue();
  }

  private htuOf(route: RouteName): string | null {
    if (!this.htus.has(route)) this.htus.set(route, normalisedHtu(routeUrl(this.deps.config.issuer, route)));
    return this.htus.get(route) ?? null;
  }

  private async nonceSource(): Promise<DpopNonces> {
    this.nonces ??= dpopNoncesOf(this.deps.clock, await this.deps.secretBox());
    return this.nonces;
  }
}

/** Whether the request carries a DPoP header (even a malformed one). */
function hasDpopHeader(req: DpopRequest): boolean {
  return (req.headersDistinct.dpop?.length ?? 0) > 0;
}

/**
 * Sets a fresh `DPoP-Nonce` on the response to a request that carried a DPoP header (RFC 9449 §8.1, §9): every such
 * answer of /token, /par and /userinfo carries one, success or error, so that the client's next proof can include it.
 * Set before the request is checked; the error handler keeps it.
 */
export async function nonceForDpopRequest(req: DpopRequest, res: { setHeader(name: string, value: string): unknown }, proofs: DpopProofs): Promise<void> {
  if (hasDpopHeader(req)) res.setHeader('DPoP-Nonce', await proofs.nonce());
}
