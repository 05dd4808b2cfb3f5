// PLACEHOLDER (issue 26 foundation, owner H2): GET /metrics on the main listener.
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';

export function metricsEndpoint(_deps: { config: Config }): RequestHandler {
  return (_req, _res, next) => next();
}
