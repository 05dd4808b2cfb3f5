// The public keys of a client authenticating with private_key_jwt (RFC 7523 §2.2, OIDC Core §9; issue 22): an
// inline JWKS (RFC 7517 §5), or the URI where the client publishes one. Only public signing keys that
// src/oidc/client-assertion.ts can verify are taken (RS256/PS256 with RSA of at least 2048 bits, ES256 with P-256),
// never a private or symmetric key: a JWKS holding one is refused outright, since whoever pasted it has leaked it
// (and an `oct` key registered as a "public" key is the HS256-with-a-public-key confusion, RFC 8725 §2.1). What is
// stored is the JWKS written again with the public members only, so that nothing else ever reaches the store.
import { createPublicKey } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { ClientPatch, ClientRecord } from '../store/records.js';
import { checkClientUri } from './redirect-uris.js';

/** The most a JWKS may weigh, inline or fetched (src/oidc/client-jwks.ts applies the same limit). */
export const MAX_JWKS_BYTES = 64 * 1024;
export const MAX_JWKS_KEYS = 10;
export const MIN_RSA_BITS = 2048;
/** Larger keys buy nothing and cost every verification (and every attacker-chosen assertion) more. */
export const MAX_RSA_BITS = 8192;
const MAX_KID_LENGTH = 200;

/** RFC 7518 §6.2.2 and §6.3.2 (and §6.4 `oth`), RFC 7518 §6.4.1 `k`: members that only a private or secret key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const ALGORITHMS: Record<'RSA' | 'EC', readonly string[]> = { RSA: ['RS256', 'PS256'], EC: ['ES256'] };

const refuse = (message: string) => new ValidationError('jwks', message);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The public members kept for each key type (RFC 7517 §4, RFC 7518 §6.2.1, §6.3.1), in this order. */
export interface PublicJwk {
  kty: 'RSA' | 'EC';
  kid?: string;
  use?: 'sig';
  alg?: string;
  n?: string;
  e?: string;
  crv?: 'P-256';
  x?: string;
  y?: string;
}

function base64urlMember(key: Record<string, unknown>, member: string, which: string): string {
  const value = key[member];
  if (typeof value !== 'string' || !BASE64URL.test(value)) throw refuse(`${which}: "${member}" must be base64url text`);
  return value;
}

/** The bit length of a big-endian unsigned integer (an RSA modulus), leading zero bytes not counted. */
function bitLength(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] ?? 0));
}

function checkKey(value: unknown, index: number): PublicJwk {
  const which = `key ${index + 1}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse(`${which} is not a JSON object`);
  const key = value as Record<string, unknown>;
  if (key.kty === 'oct') throw refuse(`${which} is a symmetric (oct) key: private_key_jwt needs the client's public key, and a shared secret must never be registered as one`);
  const leaked = PRIVATE_MEMBERS.find((member) => member in key);
  if (leaked !== undefined) throw refuse(`${which} contains the private member "${leaked}": register only the public key (and treat this private key as exposed)`);
  if (key.kty !== 'RSA' && key.kty !== 'EC') throw refuse(`${which}: the key type must be RSA or EC (P-256)`);
  const kty = key.kty;
  if (key.use !== undefined && key.use !== 'sig') throw refuse(`${which}: "use" must be "sig" (or absent): the key signs client assertions`);
  if (key.alg !== undefined && (typeof key.alg !== 'string' || !ALGORITHMS[kty].includes(key.alg))) {
    throw refuse(`${which}: "alg" must be ${ALGORITHMS[kty].join(' or ')} for an ${kty} key (or absent)`);
  }
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid.length === 0 || key.kid.length > MAX_KID_LENGTH || /[\u0000-\u001f\u007f]/.test(key.kid))) {
    throw refuse(`${which}: "kid" must be text of 1 to ${MAX_KID_LENGTH} characters`);
  }
  const jwk: PublicJwk = { kty };
  if (typeof key.kid === 'string') jwk.kid = key.kid;
  if (key.use !== undefined) jwk.use = 'sig';
  if (typeof key.alg === 'string') jwk.alg = key.alg;
  if (kty === 'RSA') {
    jwk.n = base64urlMember(key, 'n', which);
    jwk.e = base64urlMember(key, 'e', which);
    const bits = bitLength(Buffer.from(jwk.n, 'base64url'));
    if (bits < MIN_RSA_BITS) throw refuse(`${which}: an RSA key must have at least ${MIN_RSA_BITS} bits (this one has ${bits})`);
    if (bits > MAX_RSA_BITS) throw refuse(`${which}: an RSA key must have at most ${MAX_RSA_BITS} bits (this one has ${bits})`);
  } else {
    if (key.crv !== 'P-256') throw refuse(`${which}: an EC key must be on the curve P-256 (ES256)`);
    jwk.crv = 'P-256';
    jwk.x = base64urlMember(key, 'x', which);
    jwk.y = base64urlMember(key, 'y', which);
  }
  // Node checks what the members above cannot: an EC point on the curve, an RSA exponent that makes sense.
  try {
    createPublicKey({ key: { ...jwk }, format: 'jwk' });
  } catch {
    throw refuse(`${which} is not a valid ${kty} public key`);
  }
  return jwk;
}

/**
 * A JWKS as pasted or read from a file, checked: a JSON object whose `keys` holds 1 to 10 public signing keys, at
 * most 64 KiB, `kid`s unique. Returns the JSON text to store (public members only); a ValidationError('jwks', …)
 * otherwise, whose message never repeats key material.
 */
export function checkJwks(text: string): string {
  if (Buffer.byteLength(text, 'utf8') > MAX_JWKS_BYTES) throw refuse(`the JWKS must be at most ${MAX_JWKS_BYTES / 1024} KiB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse('the JWKS is not JSON: give a JSON Web Key Set, {"keys": [ … ]} (RFC 7517 §5)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw refuse('the JWKS must be a JSON object with a "keys" array (RFC 7517 §5)');
  }
  const keys = (parsed as { keys: unknown[] }).keys;
  if (keys.length === 0) throw refuse('the JWKS holds no key');
  if (keys.length > MAX_JWKS_KEYS) throw refuse(`the JWKS may hold at most ${MAX_JWKS_KEYS} keys (it holds ${keys.length})`);
  const checked = keys.map(checkKey);
  const kids = checked.map((key) => key.kid).filter((kid): kid is string => kid !== undefined);
  const twice = kids.find((kid, i) => kids.indexOf(kid) !== i);
  if (twice !== undefined) throw refuse(`two keys have the kid ${JSON.stringify(twice)}: each key needs its own`);
  return JSON.stringify({ keys: checked });
}

/**
 * Where the client publishes its JWKS: Gatehouse fetches it (src/oidc/client-jwks.ts), so it is https, or http only on
 * a loopback host, without a fragment or credentials (the redirect URI rules). The caller applies the rule on
 * private addresses (src/manage/client-urls.ts), as for the back-channel logout URI, the other URL Gatehouse requests.
 */
export function checkJwksUri(uri: string): string {
  checkClientUri(uri, 'jwks_uri');
  return uri;
}

/** One key as `idp client show` and the admin screens describe it: "RSA 2048 kid=…", "EC P-256". */
export function describeKey(key: PublicJwk): string {
  const size = key.kty === 'RSA' && key.n ? `RSA ${bitLength(Buffer.from(key.n, 'base64url'))}` : `EC ${key.crv ?? ''}`.trim();
  return [size, key.alg, key.kid === undefined ? undefined : `kid=${key.kid}`].filter(Boolean).join(' ');
}

/** The keys of a stored JWKS (as checkJwks wrote it); [] for none or for text that is not one. */
export function jwksKeys(jwks: string | null): PublicJwk[] {
  if (jwks === null) return [];
  try {
    const parsed = JSON.parse(jwks) as { keys?: unknown };
    return Array.isArray(parsed.keys) ? (parsed.keys as PublicJwk[]) : [];
  } catch {
    return [];
  }
}

/** A client's key source: at most one of the two (OIDC Dynamic Client Registration §2). */
export interface ClientKeys {
  jwks: string | null;
  jwksUri: string | null;
}

/** Empty text (a form's empty field) clears; absent leaves. */
const given = (text: string | null | undefined): string | null | undefined => (text === undefined || text === null ? text : text.trim() === '' ? null : text);

/**
 * The key source the settings give a client whose keys are `current`: undefined when they name neither (keys as
 * they are); otherwise the one given, checked (checkJwks, checkJwksUri), and the other cleared: giving a jwks_uri
 * replaces an inline JWKS and the reverse. Both given is refused, and a public client has no keys.
 */
export function plannedKeys(input: { jwks?: string | null; jwksUri?: string | null }, isPublic: boolean): ClientKeys | undefined {
  const jwks = given(input.jwks);
  const jwksUri = given(input.jwksUri);
  if (jwks === undefined && jwksUri === undefined) return undefined;
  if (jwks && jwksUri) throw new ValidationError('jwks', 'give the client keys inline (jwks) or by reference (jwks_uri), not both');
  const keys: ClientKeys = { jwks: jwks ? checkJwks(jwks) : null, jwksUri: jwksUri ? checkJwksUri(jwksUri) : null };
  if (isPublic && (keys.jwks !== null || keys.jwksUri !== null)) {
    throw new ValidationError('jwks', 'a public client has no keys: private_key_jwt is for confidential clients');
  }
  return keys;
}

export const USE_SECRET = 'to give it a secret instead, switch it to a secret (idp client use-secret), which removes its keys';

/**
 * What the settings change in the client's keys, and so in how it authenticates (src/manage/clients.ts): keys given
 * to a client with a secret replace the secret; keys replace keys; a private_key_jwt client cannot just lose them.
 */
export function keysChange(client: ClientRecord, input: { jwks?: string | null; jwksUri?: string | null }): { patch: ClientPatch; changed: string[] } {
  const keys = plannedKeys(input, client.clientType === 'public');
  if (keys === undefined) return { patch: {}, changed: [] };
  const hasKeys = keys.jwks !== null || keys.jwksUri !== null;
  const patch: ClientPatch = {};
  const changed: string[] = [];
  if (!hasKeys) {
    if (client.tokenEndpointAuthMethod === 'private_key_jwt') throw new ValidationError('jwks', `this client authenticates with its keys (private_key_jwt) and cannot lose them: ${USE_SECRET}`);
    return { patch, changed };
  }
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt') {
    // The keys replace the secret: a client authenticates one way only (RFC 6749 §2.3, OIDC Registration §2).
    patch.tokenEndpointAuthMethod = 'private_key_jwt';
    patch.secretHash = null;
    changed.push('token_endpoint_auth_method');
  }
  if (keys.jwks !== client.jwks) {
    patch.jwks = keys.jwks;
    changed.push('jwks');
  }
  if (keys.jwksUri !== client.jwksUri) {
    patch.jwksUri = keys.jwksUri;
    changed.push('jwks_uri');
  }
  return { patch, changed };
}
