// The JWKS (RFC 7517 §5) at jwks_uri: public keys only, the bytes the key ring serialised for this key set.
import type { Request, Response } from 'express';
import { sendCachedDocument } from '../http/cached-document.js';
import type { ClientSightings } from '../signing/client-sightings.js';
import type { KeyRing } from '../signing/key-ring.js';

/** `sightings`: told of each GET (key rotation readiness); the fast path (src/http/public-documents.ts) tells it of the rest. */
export function jwksHandler(keyRing: KeyRing, maxAge: number, sightings: ClientSightings | null = null) {
  return (req: Request, res: Response): void => {
    const jwks = keyRing.jwks;
    sendCachedDocument(req, res, jwks, 'application/jwk-set+json; charset=utf-8', maxAge);
    if (req.method === 'GET' && (res.statusCode === 200 || res.statusCode === 304)) sightings?.jwksFetched(req.ip, req.headers['user-agent'], jwks.etag);
  };
}
