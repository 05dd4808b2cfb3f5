// Discovery and JWKS straight on node:http, ahead of Express: every relying party fetches them, they are the
// same bytes for everyone, and Express's routing costs more than the answer itself. The answer is what the
// Express routes would give (they stay mounted behind this, for anything unusual): the same headers — helmet's,
// captured once from helmet itself, so there is one source of truth — CORS, caching, ETag and 304, HEAD and the
// preflight. Only an exact GET, HEAD or OPTIONS of the path takes this way; a query string or another method
// falls through to Express.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { DiscoveryDocuments } from '../oidc/discovery.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { ClientSightings } from '../signing/client-sightings.js';
import { ifNoneMatchHits, type CachedDocument } from './cached-document.js';
import { clientAddress } from './client-address.js';
import { PUBLIC_DOCUMENT_PREFLIGHT } from './middleware/cors.js';
import { capturedSecurityHeaders } from './middleware/security-headers.js';
import { routes } from './routes.js';

type Headers = [string, string][];

export type PublicDocumentHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The flat header lists of one document's answers, built once per body (the JWKS changes with the key set). */
interface Answers {
  body: Buffer;
  ok: string[];
  notModified: string[];
}

interface Served {
  /** Null: not ready without waiting (discovery before the claim catalog first loaded); Express answers instead. */
  current: () => CachedDocument | null;
  answers: (document: CachedDocument) => Answers;
  /** Told of every GET answered 200 or 304 (the JWKS: key rotation readiness, src/signing/client-sightings.ts). */
  fetched?: (req: IncomingMessage, etag: string) => void;
}

export function publicDocuments(config: Config, keyRing: KeyRing, logger: Logger, discovery: DiscoveryDocuments, sightings: ClientSightings | null = null): PublicDocumentHandler {
  // Helmet's CORP is same-origin; these documents are read cross-origin, as the cors middleware says.
  const base = capturedSecurityHeaders(config.issuer.startsWith('https:')).filter(([name]) => name.toLowerCase() !== 'cross-origin-resource-policy');
  const common: Headers = [...base, ['Access-Control-Allow-Origin', '*'], ['Cross-Origin-Resource-Policy', 'cross-origin']];
  const preflight = [...common, ...PUBLIC_DOCUMENT_PREFLIGHT].flat();

  function served(contentType: string, maxAge: number, current: () => CachedDocument | null): Served {
    let cached: Answers | null = null;
    return {
      current,
      answers(document) {
        if (cached?.body !== document.body) {
          const cacheable: Headers = [...common, ['Access-Control-Expose-Headers', 'ETag, WWW-Authenticate'], ['Cache-Control', `public, max-age=${maxAge}`], ['ETag', document.etag]];
          const ok: Headers = [...cacheable, ['Content-Type', contentType], ['Content-Length', String(document.body.length)]];
          cached = { body: document.body, ok: ok.flat(), notModified: cacheable.flat() };
        }
        return cached;
      },
    };
  }

  const documents = new Map<string, Served>([
    // Re-serialised when an attribute scope or claim is defined (src/oidc/discovery.ts DiscoveryDocuments).
    [config.basePath + routes.discovery, served('application/json; charset=utf-8', config.discoveryMaxAge, () => discovery.current())],
    [config.basePath + routes.jwks, { ...served('application/jwk-set+json; charset=utf-8', config.jwksMaxAge, () => keyRing.jwks), fetched: jwksFetched(config, sightings) }],
  ]);

  return (req, res) => {
    const document = documents.get(req.url ?? '');
    if (!document || (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS')) return false;
    let current: CachedDocument | null = null;
    if (req.method !== 'OPTIONS') {
      current = document.current();
      // Not ready without waiting: the Express route answers, the same way.
      if (current === null) return false;
    }
    const id = randomUUID();
    if (current === null) {
      res.writeHead(204, ['X-Request-Id', id, ...preflight]).end();
    } else {
      const answers = document.answers(current);
      if (ifNoneMatchHits(req.headers['if-none-match'], current.etag)) res.writeHead(304, ['X-Request-Id', id, ...answers.notModified]).end();
      else res.writeHead(200, ['X-Request-Id', id, ...answers.ok]).end(req.method === 'HEAD' ? undefined : current.body);
      if (req.method === 'GET') document.fetched?.(req, current.etag);
    }
    // Fetched by every relying party on a schedule: logged at debug, where they do not drown the sign-ins.
    if (logger.isLevelEnabled('debug')) logger.debug({ reqId: id, method: req.method, path: req.url, status: res.statusCode }, 'request');
    return true;
  };
}

/** Attributes a JWKS fetch to the address Express would give the same request (TRUST_PROXY), and its User-Agent. */
function jwksFetched(config: Config, sightings: ClientSightings | null): Served['fetched'] {
  if (!sightings) return undefined;
  const addressOf = clientAddress(config.trustProxy);
  return (req, etag) => sightings.jwksFetched(addressOf(req), req.headers['user-agent'], etag);
}
