// METRICS_PORT (issue 26): a listener of its own on 127.0.0.1 that serves GET /metrics and nothing else, so that a
// Prometheus on the same host (or a sidecar) scrapes without the main listener exposing metrics at all. Plain
// node:http: no sessions, no pages, no base path. With METRICS_TOKEN set it asks for the token too.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { routes } from '../http/routes.js';
import type { Logger } from '../logger.js';
import type { Registry } from './prom.js';
import type { KeySchedule } from './key-gauges.js';
import { scrapeAccess, scrapeRegistry, type ScrapeVerdict } from './exposition.js';

export interface MetricsListenerDependencies {
  config: Pick<Config, 'metrics'>;
  keyRing: KeySchedule;
  clock: Clock;
  logger: Logger;
}

export interface MetricsListener {
  /** The port bound (METRICS_PORT; the one the system chose when asked for 0). */
  port: number;
  close(): Promise<void>;
}

/** Only loopback: whoever can reach this port already runs on the host. */
const HOST = '127.0.0.1';

function answer(res: http.ServerResponse, status: number, body: Record<string, string>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(JSON.stringify(body));
}

type Answer = [status: number, body: Record<string, string>, headers?: Record<string, string>];

/** Why a request gets no metrics, as an answer; null when it gets them. */
function refusalOf(req: http.IncomingMessage, access: (authorization: string | undefined) => ScrapeVerdict): Answer | null {
  const path = (req.url ?? '').split('?')[0];
  if (path !== routes.metrics) return [404, { error: 'not_found', error_description: `Only ${routes.metrics} is served here.` }];
  if (req.method !== 'GET' && req.method !== 'HEAD') return [405, { error: 'method_not_allowed', error_description: 'Use GET.' }, { Allow: 'GET, HEAD' }];
  const verdict = access(req.headers.authorization);
  // RFC 6750 §3.1, as on the main listener: the bare challenge without credentials, invalid_token with wrong ones.
  if (verdict === 'missing') return [401, { error: 'invalid_token', error_description: 'GET /metrics needs the bearer token METRICS_TOKEN' }, { 'WWW-Authenticate': 'Bearer realm="gatehouse"' }];
  if (verdict === 'invalid') {
    const description = 'the bearer token is not METRICS_TOKEN';
    return [401, { error: 'invalid_token', error_description: description }, { 'WWW-Authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${description}"` }];
  }
  return null;
}

function handler({ config, keyRing, clock, logger }: MetricsListenerDependencies) {
  const access = scrapeAccess(config.metrics.token);
  // Made at the first scrape: the process metrics' collectors start only once someone reads them.
  let scrape: Promise<Registry> | undefined;
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const refusal = refusalOf(req, access);
    if (refusal) {
      answer(res, ...refusal);
      return;
    }
    const registry = (scrape ??= scrapeRegistry(keyRing, clock));
    registry
      .then(async (ready) => ({ body: await ready.metrics(), contentType: ready.contentType }))
      .then(
        ({ body, contentType }) => {
          res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'collecting metrics failed');
          answer(res, 500, { error: 'server_error', error_description: 'The server could not complete the request.' });
        },
      );
  };
}

/** Starts the METRICS_PORT listener when `port` is set (config.metrics.port); null when it is not. */
export async function startMetricsListener(deps: MetricsListenerDependencies, port: number | null = deps.config.metrics.port): Promise<MetricsListener | null> {
  if (port === null) return null;
  const server = http.createServer(handler(deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold close() until it times out.
        server.closeAllConnections();
      }),
  };
}
