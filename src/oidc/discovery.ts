// OpenID Connect Discovery 1.0 §3/§4: the provider metadata, listing exactly what Gatehouse implements.
// Serialised once at start: the document only changes with a deploy.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import { sendCachedDocument, type CachedDocument } from '../http/cached-document.js';
import { advertisedEndpoints, routeUrl } from '../http/routes.js';

export function providerMetadata(config: Config): Record<string, unknown> {
  const endpoints = Object.fromEntries(
    Object.entries(advertisedEndpoints).map(([metadataName, route]) => [metadataName, routeUrl(config.issuer, route)]),
  );
  return {
    issuer: config.issuer,
    ...endpoints,
    subject_types_supported: ['public'],
    // RFC 8725 §3.1: one algorithm, never `none`.
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

export function discoveryDocument(config: Config): CachedDocument {
  const body = Buffer.from(JSON.stringify(providerMetadata(config)));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

export function discoveryHandler(config: Config) {
  const document = discoveryDocument(config);
  return (req: Request, res: Response): void => {
    sendCachedDocument(req, res, document, 'application/json; charset=utf-8', config.discoveryMaxAge);
  };
}
