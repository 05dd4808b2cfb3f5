// The request_uri of a pushed authorization request (RFC 9126 §2.2): `urn:ietf:params:oauth:request_uri:` and 256
// random bits, single use, 60 seconds. Only its SHA-256 is stored (like codes and refresh tokens): a copy of the store
// cannot be replayed at /authorize. It names the stored parameters for the client that pushed them and no other.
import { hashSecret, randomSecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import { InvalidRequestUri } from '../errors.js';
import type { PushedRequestRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

/** RFC 9126 §2.2: the URN namespace of request URIs made by an authorization server. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: "a short time", long enough for a browser redirect; expires_in says it. */
export const PAR_LIFETIME_SECONDS = 60;
/** The random part of ours: 43 base64url characters (randomSecret). */
const OURS = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

/** Whether `uri` is in our namespace: any other request_uri is one we never fetch (request_uri_not_supported). */
export function isPushedRequestUri(uri: string): boolean {
  return uri.startsWith(REQUEST_URI_PREFIX);
}

/** Stores the checked parameters and returns the request_uri that names them. */
export async function storePushedRequest(deps: { store: Store; clock: Clock }, clientId: string, params: PushedRequestRecord['params']): Promise<string> {
  const uri = REQUEST_URI_PREFIX + randomSecret();
  const now = deps.clock.now();
  await deps.store.pushedRequests.create({ uriHash: hashSecret(uri), clientId, params, createdAt: now, expiresAt: now + PAR_LIFETIME_SECONDS * 1000 });
  return uri;
}

/**
 * The parameters `uri` names, for `clientId`, spending it (one conditional write: of two browsers racing, one wins).
 * Unknown, used, expired or another client's: invalid_request_uri (RFC 9126 §4), the same answer for each, so that
 * nobody learns which URIs exist.
 */
export async function consumePushedRequest(deps: { store: Store; clock: Clock }, clientId: string, uri: string): Promise<PushedRequestRecord['params']> {
  // A malformed URN was never ours: no query needed.
  const record = OURS.test(uri) ? await deps.store.pushedRequests.consume(hashSecret(uri), clientId, deps.clock.now()) : null;
  if (!record) throw new InvalidRequestUri('the request_uri is unknown, expired, already used or was pushed by another client');
  return record.params;
}
