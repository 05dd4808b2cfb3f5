// The one place an error becomes a response: a redirect to the client (authorization errors once the client
// and redirect URI are trusted), JSON for machines, or an HTML page for people. The public message goes to
// the requester; the internal detail and stack go only to the log.
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config.js';
import {
  AdminOnly,
  ClientAuthenticationThrottled,
  ForbiddenForm,
  UpstreamSignInFailed,
  DirectoryUnavailable,
  GatehouseError,
  InvalidClient,
  InvalidToken,
  LogoutRefused,
  OAuthError,
  RouteNotFoundError,
  UntrustedAuthorizationRequest,
} from '../errors.js';
import { AuthorizationErrorRedirect } from '../oidc/authorization-request.js';
import { errorRedirect } from '../oidc/authorization-response.js';
import { isApiPath } from './routes.js';

interface ErrorView {
  status: number;
  error: string;
  description: string;
  title: string;
}

const HTTP_ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'request_too_large',
  502: 'upstream_error',
  504: 'upstream_timeout',
  503: 'temporarily_unavailable',
};

function titleOf(error: unknown, status: number): string {
  if (error instanceof UntrustedAuthorizationRequest) return 'Sign-in cannot continue';
  if (error instanceof ForbiddenForm) return 'This form cannot be accepted';
  if (error instanceof LogoutRefused) return 'Sign-out cannot continue';
  if (error instanceof AdminOnly) return 'Administrators only';
  if (error instanceof UpstreamSignInFailed) return 'Sign-in did not complete';
  if (error instanceof DirectoryUnavailable) return 'Sign-in is not available right now';
  return status === 404 ? 'Page not found' : 'Something went wrong';
}

function describe(error: unknown): ErrorView {
  if (error instanceof OAuthError) {
    return { status: error.status, error: error.error, description: error.description, title: titleOf(error, error.status) };
  }
  if (error instanceof GatehouseError) {
    return { status: error.status, error: HTTP_ERROR_CODES[error.status] ?? 'server_error', description: error.message, title: titleOf(error, error.status) };
  }
  // Errors from Express and body parsers carry a 4xx `status` and a message safe to show (`expose`).
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    return { status, error: HTTP_ERROR_CODES[status] ?? 'invalid_request', description: (error as Error).message, title: titleOf(error, status) };
  }
  return { status: 500, error: 'server_error', description: 'The server could not complete the request.', title: titleOf(error, 500) };
}

function wantsJson(req: Request): boolean {
  return isApiPath(req.path) || req.accepts(['html', 'json']) === 'json';
}

/** RFC 6749 §5.2 and RFC 6750 §3: the challenges that go with 401 answers. */
function setChallenge(res: Response, error: unknown, view: ErrorView): void {
  if (error instanceof ClientAuthenticationThrottled) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (error instanceof InvalidClient && error.usedAuthorizationHeader) res.setHeader('WWW-Authenticate', 'Basic realm="gatehouse"');
  if (error instanceof InvalidToken) {
    res.setHeader('WWW-Authenticate', error.challengeOnly ? 'Bearer realm="gatehouse"' : `Bearer realm="gatehouse", error="invalid_token", error_description="${view.description}"`);
  }
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new RouteNotFoundError(`Nothing is served at ${req.path}.`));
}

export function errorHandler(config: Config) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof AuthorizationErrorRedirect) {
      req.log.info({ error: error.error.error, detail: error.error.detail }, 'authorization request refused');
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, errorRedirect(config, error.error, error.target));
      return;
    }
    const view = describe(error);
    if (view.status >= 500) req.log.error({ err: error }, 'request failed');
    else req.log.info({ error: view.error, detail: (error as GatehouseError).detail }, 'request refused');
    res.setHeader('Cache-Control', 'no-store');
    setChallenge(res, error, view);
    res.status(view.status);
    if (wantsJson(req)) {
      res.json({ error: view.error, error_description: view.description });
    } else {
      res.render('error', { ...view, requestId: req.id });
    }
  };
}
