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
import { discoveryDocument } from '../oidc/discovery.js';
import type { KeyRing } from '../signing/key-ring.js';
import { ifNoneMatchHits, type CachedDocument } from './cached-document.js';
import { PUBLIC_DOCUMENT_PREFLIGHT } from './middleware/cors.js';
import { securityHeaders } from './middleware/security-headers.js';
import { routes } from './routes.js';

type Headers = [string, string][];

/** The headers helmet sets on every response, read by running it once against a recording response. */
function helmetHeaders(https: boolean): Headers {
  const recorded: Headers = [];
  const res = {
    setHeader: (name: string, value: string | number) => recorded.push([name, String(value)]),
    removeHeader: (name: string) => recorded.splice(0, recorded.length, ...recorded.filter(([n]) => n.toLowerCase() !== name.toLowerCase())),
    getHeader: () => undefined,
  };
  let called = false;
  securityHeaders({ https })({ headers: {} } as never, res as never, () => (called = true));
  if (!called) throw new Error('helmet did not finish synchronously');
  return recorded;
}

export type PublicDocumentHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function publicDocuments(config: Config, keyRing: KeyRing, logger: Logger): PublicDocumentHandler {
  // Helmet's CORP is same-origin; these documents are read cross-origin, as the cors middleware says.
  const base = helmetHeaders(config.issuer.startsWith('https:')).filter(([name]) => name.toLowerCase() !== 'cross-origin-resource-policy');
  const common: Headers = [...base, ['Access-Control-Allow-Origin', '*'], ['Cross-Origin-Resource-Policy', 'cross-origin']];
  const discovery = discoveryDocument(config);
  const documents = new Map<string, { contentType: string; maxAge: number; current: () => CachedDocument }>([
    [config.basePath + routes.discovery, { contentType: 'application/json; charset=utf-8', maxAge: config.discoveryMaxAge, current: () => discovery }],
    [config.basePath + routes.jwks, { contentType: 'application/jwk-set+json; charset=utf-8', maxAge: config.jwksMaxAge, current: () => keyRing.jwks }],
  ]);
  const preflight: Headers = [...common, ...PUBLIC_DOCUMENT_PREFLIGHT];

  return (req, res) => {
    const served = documents.get(req.url ?? '');
    if (!served || (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS')) return false;
    const id = randomUUID();
    const headers: Headers = [['X-Request-Id', id]];
    if (req.method === 'OPTIONS') {
      res.writeHead(204, [...headers, ...preflight].flat()).end();
    } else {
      const document = served.current();
      headers.push(...common, ['Access-Control-Expose-Headers', 'ETag, WWW-Authenticate'], ['Cache-Control', `public, max-age=${served.maxAge}`], ['ETag', document.etag]);
      if (ifNoneMatchHits(req.headers['if-none-match'], document.etag)) {
        res.writeHead(304, headers.flat()).end();
      } else {
        headers.push(['Content-Type', served.contentType], ['Content-Length', String(document.body.length)]);
        res.writeHead(200, headers.flat()).end(req.method === 'HEAD' ? undefined : document.body);
      }
    }
    // Fetched by every relying party on a schedule: logged at debug, where they do not drown the sign-ins.
    if (logger.isLevelEnabled('debug')) logger.debug({ reqId: id, method: req.method, path: req.url, status: res.statusCode }, 'request');
    return true;
  };
}
