// Request counts and latency per route (gatehouse_http_requests_total, gatehouse_http_request_duration_seconds),
// measured around the whole request listener (createApp in src/http/app.ts), so that discovery and JWKS on the
// node:http fast path are measured like every Express route. The route label is a NAME from src/http/routes.ts,
// never the path as sent: paths carry ids (`/admin/users/<id>`) and anything a client makes up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routes, type RouteName } from '../http/routes.js';
import { metrics, secondsSince } from './metrics.js';

/** Methods that get a label of their own; any other one (WebDAV's, made-up ones Node accepts) is `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Route paths longest first, so that `/login/second-factor` is found before `/login`. */
const BY_LENGTH = (Object.entries(routes) as [RouteName, string][]).filter(([name]) => name !== 'home').sort((a, b) => b[1].length - a[1].length);

/**
 * The route name of a request path below the base path: the route whose path it is or lies under (`/admin/…` is
 * `admin`, `/federation/x/callback` is `federation`), `home` for the base path itself, else `other`.
 */
export function routeNameOf(basePath: string, url: string | undefined): RouteName | 'other' {
  if (!url) return 'other';
  const query = url.indexOf('?');
  const full = query === -1 ? url : url.slice(0, query);
  if (basePath && full !== basePath && !full.startsWith(basePath + '/')) return 'other';
  const path = full.slice(basePath.length) || '/';
  if (path === routes.home) return 'home';
  for (const [name, prefix] of BY_LENGTH) {
    if (path === prefix || (path.startsWith(prefix) && (prefix.endsWith('/') || path[prefix.length] === '/'))) return name;
  }
  return 'other';
}

/**
 * Wraps a request listener so that each request answered is counted and timed once its answer is finished
 * (res 'finish': the last byte handed to the socket). A request whose connection closes before the answer is
 * finished is not counted: there is no status to count it under.
 */
export function measuredListener(basePath: string, listener: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    // Read now: Express rewrites req.url inside mounted routers (`/admin/users` is `/users` there) and may not restore it.
    const url = req.url;
    res.once('finish', () => {
      const method = req.method && METHODS.has(req.method) ? req.method : 'other';
      metrics.httpRequest(routeNameOf(basePath, url), method, res.statusCode, secondsSince(started));
    });
    listener(req, res);
  };
}
