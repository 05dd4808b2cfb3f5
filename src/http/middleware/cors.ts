// CORS for the public, credential-free documents (discovery, JWKS) that browser-based relying parties fetch
// from other origins. Written out rather than taken from a package: it is four headers on a hot path.
import type { NextFunction, Request, Response } from 'express';

export function publicCors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
    // If-None-Match is not CORS-safelisted, so a conditional fetch is preflighted.
    res.setHeader('Access-Control-Allow-Headers', 'If-None-Match, Cache-Control');
    res.setHeader('Access-Control-Max-Age', '86400');
    res.status(204).end();
    return;
  }
  res.setHeader('Access-Control-Expose-Headers', 'ETag');
  next();
}
