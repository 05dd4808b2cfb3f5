// GET /metrics on the main listener (issue 26): only when METRICS_TOKEN is set, and only with that bearer token.
// Without METRICS_TOKEN the route falls through to the JSON 404 (metrics are off here; METRICS_PORT may still serve
// them on loopback, metrics-listener.ts). A wrong or missing token is a 401 with the RFC 6750 §3 challenge, from
// the error handler as every bearer refusal is.
import type { RequestHandler } from 'express';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { InvalidToken } from '../errors.js';
import type { Registry } from './prom.js';
import type { KeySchedule } from './key-gauges.js';
import { scrapeAccess, scrapeRegistry } from './exposition.js';

export interface MetricsEndpointDependencies {
  config: Pick<Config, 'metrics'>;
  keyRing: KeySchedule;
  clock: Clock;
}

export function metricsEndpoint({ config, keyRing, clock }: MetricsEndpointDependencies): RequestHandler {
  const token = config.metrics.token;
  if (token === null) return (_req, _res, next) => next();
  const access = scrapeAccess(token);
  // Made at the first scrape: the process metrics' collectors start only once someone reads them.
  let scrape: Promise<Registry> | undefined;
  return async (req, res) => {
    // Metrics describe this moment: no cache keeps them, neither a refusal.
    res.setHeader('Cache-Control', 'no-store');
    const verdict = access(req.headers.authorization);
    // RFC 6750 §3.1: no credentials at all get the bare challenge; wrong ones get error="invalid_token".
    if (verdict === 'missing') throw new InvalidToken('GET /metrics needs the bearer token METRICS_TOKEN', undefined, { challengeOnly: true });
    if (verdict === 'invalid') throw new InvalidToken('the bearer token is not METRICS_TOKEN');
    const registry = await (scrape ??= scrapeRegistry(keyRing, clock));
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.send(body);
  };
}
