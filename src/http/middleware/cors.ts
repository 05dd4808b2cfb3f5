// CORS for what browser-based relying parties call from other origins: discovery, JWKS, token, userinfo, par.
// No cookies are involved (credentials are never allowed), so any origin may call. Written out rather than
// taken from a package: it is a few headers on hot paths. Never used on the authorization endpoint or login.
import type { NextFunction, Request, Response } from 'express';

export function cors({ methods, headers, expose = 'ETag, WWW-Authenticate' }: { methods: string; headers: string; expose?: string }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', methods);
      res.setHeader('Access-Control-Allow-Headers', headers);
      res.setHeader('Access-Control-Max-Age', '86400');
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', expose);
    next();
  };
}

/** Discovery and JWKS: GET only; If-None-Match is not CORS-safelisted, so a conditional fetch is preflighted. */
const PUBLIC_DOCUMENT_CORS = { methods: 'GET, HEAD', headers: 'If-None-Match, Cache-Control' };
export const publicDocumentCors = cors(PUBLIC_DOCUMENT_CORS);

/** The preflight answer's own headers, for the node:http fast path (public-documents.ts). */
export const PUBLIC_DOCUMENT_PREFLIGHT: [string, string][] = [
  ['Access-Control-Allow-Methods', PUBLIC_DOCUMENT_CORS.methods],
  ['Access-Control-Allow-Headers', PUBLIC_DOCUMENT_CORS.headers],
  ['Access-Control-Max-Age', '86400'],
];

/**
 * Token, userinfo and the other machine endpoints: POST forms and bearer tokens. Issue 28: a browser-based client
 * sends its DPoP proof in the `DPoP` header and must read the server's nonce from `DPoP-Nonce` (RFC 9449 §4.1, §8).
 */
export const apiCors = cors({ methods: 'GET, POST', headers: 'Authorization, Content-Type, DPoP', expose: 'ETag, WWW-Authenticate, DPoP-Nonce' });
