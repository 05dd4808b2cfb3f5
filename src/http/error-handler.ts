// The one place an error becomes a response: JSON for machines, an HTML page for people.
// The public message goes to the requester; the internal detail and stack go only to the log.
import type { NextFunction, Request, Response } from 'express';
import { GatehouseError, RouteNotFoundError } from '../errors.js';
import { isApiPath } from './routes.js';

interface ErrorView {
  status: number;
  error: string;
  description: string;
}

const HTTP_ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'request_too_large',
  503: 'temporarily_unavailable',
};

function describe(error: unknown): ErrorView {
  if (error instanceof GatehouseError) {
    return { status: error.status, error: HTTP_ERROR_CODES[error.status] ?? 'server_error', description: error.message };
  }
  // Errors from Express and body parsers carry a 4xx `status` and a message safe to show (`expose`).
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    return { status, error: HTTP_ERROR_CODES[status] ?? 'invalid_request', description: (error as Error).message };
  }
  return { status: 500, error: 'server_error', description: 'The server could not complete the request.' };
}

function wantsJson(req: Request): boolean {
  return isApiPath(req.path) || req.accepts(['html', 'json']) === 'json';
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new RouteNotFoundError(`Nothing is served at ${req.path}.`));
}

export function errorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  const view = describe(error);
  if (view.status >= 500) req.log.error({ err: error }, 'request failed');
  else req.log.info({ error: view.error, detail: (error as GatehouseError).detail }, 'request refused');
  res.setHeader('Cache-Control', 'no-store');
  res.status(view.status);
  if (wantsJson(req)) {
    res.json({ error: view.error, error_description: view.description });
  } else {
    res.render('error', { title: view.status === 404 ? 'Page not found' : 'Something went wrong', ...view, requestId: req.id });
  }
}
