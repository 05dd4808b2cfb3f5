// Serves a body serialised ahead of time, with its ETag and Cache-Control, answering 304 when the client's
// copy is current (RFC 9110 §13.1.2). Used by discovery and JWKS, the hottest public paths.
import type { Request, Response } from 'express';

export interface CachedDocument {
  body: Buffer;
  etag: string;
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; `*` matches any current representation. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

export function sendCachedDocument(req: Request, res: Response, document: CachedDocument, contentType: string, maxAge: number): void {
  res.setHeader('Cache-Control', `public, max-age=${maxAge}`);
  res.setHeader('ETag', document.etag);
  if (ifNoneMatchHits(req.headers['if-none-match'], document.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', document.body.length);
  res.end(document.body);
}
