// The JWKS (RFC 7517 §5) at jwks_uri: public keys only, the bytes the key ring serialised for this key set.
import type { Request, Response } from 'express';
import { sendCachedDocument } from '../http/cached-document.js';
import type { KeyRing } from '../signing/key-ring.js';

export function jwksHandler(keyRing: KeyRing, maxAge: number) {
  return (req: Request, res: Response): void => {
    sendCachedDocument(req, res, keyRing.jwks, 'application/jwk-set+json; charset=utf-8', maxAge);
  };
}
