// The one place an error becomes a response: a redirect to the client (authorization errors once the client
// and redirect URI are trusted), JSON for machines, or an HTML page for people. The public message goes to
// the requester; the internal detail and stack go only to the log.
// A page is in the page's language (issue 25): its title and, for an error that carries a translation
// (GatehouseError.shown), its message. Any other message (a protocol's error_description, written for developers)
// stays English: on a page in another language it comes under a sentence in that language saying what happened,
// marked lang="en" so it is read out as English. JSON answers are always the English message.
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
  InvalidDpopProof,
  InvalidToken,
  LogoutRefused,
  OAuthError,
  RouteNotFoundError,
  UntrustedAuthorizationRequest,
  UseDpopNonce,
} from '../errors.js';
import type { Translate } from '../i18n/catalog.js';
import { shownError } from '../i18n/error-text.js';
import type { Language } from '../i18n/languages.js';
import { AuthorizationErrorRedirect } from '../oidc/authorization-request.js';
import { errorRedirect } from '../oidc/authorization-response.js';
import { DPOP_SIGNING_ALGS } from '../oidc/dpop.js';
import { isApiPath } from './routes.js';

/** What machines are told (JSON: `error`, `error_description`); the page tells people in their language. */
interface ErrorView {
  status: number;
  error: string;
  description: string;
}

/** The description the server gives of a failure it does not explain (the stack goes to the log). */
const SERVER_ERROR = 'The server could not complete the request.';

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

/** The page's heading, by what went wrong. */
function titleOf(t: Translate, error: unknown, status: number): string {
  if (error instanceof UntrustedAuthorizationRequest) return t('errorPage.title.signIn');
  if (error instanceof ForbiddenForm) return t('errorPage.title.form');
  if (error instanceof LogoutRefused) return t('errorPage.title.signOut');
  if (error instanceof AdminOnly) return t('errorPage.title.adminOnly');
  if (error instanceof UpstreamSignInFailed) return t('errorPage.title.upstream');
  if (error instanceof DirectoryUnavailable) return t('errorPage.title.directory');
  return status === 404 ? t('errorPage.title.notFound') : t('errorPage.title.generic');
}

/** What happened, in the page's language, for a message that has no translation of its own. */
function leadOf(t: Translate, error: unknown, status: number): string {
  if (error instanceof UntrustedAuthorizationRequest) return t('errorPage.lead.signIn');
  if (error instanceof ForbiddenForm) return t('errorPage.lead.form');
  if (error instanceof LogoutRefused) return t('errorPage.lead.signOut');
  if (error instanceof AdminOnly) return t('errorPage.lead.adminOnly');
  if (error instanceof UpstreamSignInFailed) return t('errorPage.lead.upstream');
  if (error instanceof DirectoryUnavailable) return t('errorPage.lead.directory');
  if (status === 404) return t('errorPage.lead.notFound');
  if (status === 401 || status === 403) return t('errorPage.lead.forbidden');
  if (status === 409) return t('errorPage.lead.conflict');
  if (status === 413) return t('errorPage.lead.tooLarge');
  if (status === 429) return t('errorPage.lead.tooMany');
  if (status >= 500) return t('errorPage.lead.unavailable');
  return t('errorPage.lead.badRequest');
}

function describe(error: unknown): ErrorView {
  if (error instanceof OAuthError) {
    return { status: error.status, error: error.error, description: error.description };
  }
  if (error instanceof GatehouseError) {
    return { status: error.status, error: HTTP_ERROR_CODES[error.status] ?? 'server_error', description: error.message };
  }
  // Errors from Express and body parsers carry a 4xx `status` and a message safe to show (`expose`).
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    return { status, error: HTTP_ERROR_CODES[status] ?? 'invalid_request', description: (error as Error).message };
  }
  return { status: 500, error: 'server_error', description: SERVER_ERROR };
}

/** The page's translator and language: the localization middleware's (res.locals), else the app's defaults. */
function pageLocale(req: Request, res: Response): { t: Translate; language: Language } {
  const locals = res.locals as { t?: Translate; lang?: Language };
  const defaults = req.app.locals as { t: Translate; lang: Language };
  return { t: locals.t ?? defaults.t, language: locals.lang ?? defaults.lang };
}

/** The page: `description` in the page's language; `original`, the English message it stands for, when it had to. */
function errorPage(req: Request, res: Response, error: unknown, view: ErrorView) {
  const { t, language } = pageLocale(req, res);
  const page = { status: view.status, error: view.error, title: titleOf(t, error, view.status), requestId: req.id };
  if (view.description === SERVER_ERROR) return { ...page, description: t('errorPage.serverError'), original: null };
  return { ...page, ...shownError({ t, language }, error, view.description, () => leadOf(t, error, view.status)) };
}

function wantsJson(req: Request): boolean {
  return isApiPath(req.path) || req.accepts(['html', 'json']) === 'json';
}

/**
 * Issue 28: what a protected resource rendered here (userinfo; the management API has its own problem renderer and
 * takes no DPoP, src/api/authenticate.ts) tells the error handler about the request it answers. `dpop`: the request used the DPoP scheme, or presented a DPoP-bound token as a bearer token; its refusals
 * then carry the DPoP challenge (RFC 9449 §7.1), which names the error and the proof algorithms we accept.
 */
interface ProtectedResourceLocals {
  protectedResource?: { dpop: boolean };
}

/** Marks the response as a protected resource's (a DPoP proof refusal is then 401 with a challenge, not 400). */
export function markProtectedResource(res: Response, { dpop }: { dpop: boolean }): void {
  (res.locals as ProtectedResourceLocals).protectedResource = { dpop };
}

const protectedResourceOf = (res: Response) => (res.locals as ProtectedResourceLocals).protectedResource;

const isDpopRefusal = (error: unknown): error is InvalidDpopProof | UseDpopNonce => error instanceof InvalidDpopProof || error instanceof UseDpopNonce;

/**
 * RFC 9449 §7.1 and §9: a protected resource answers a refused DPoP proof (invalid_dpop_proof, use_dpop_nonce) with
 * 401 and a DPoP challenge, where the token endpoint answers 400 (§5, RFC 6749 §5.2).
 */
function statusOf(res: Response, error: unknown, view: ErrorView): number {
  return isDpopRefusal(error) && protectedResourceOf(res) ? 401 : view.status;
}

/** RFC 9449 §7.1: `DPoP` with the error (none for a request without a token, as RFC 6750 §3.1 does) and `algs`. */
function dpopChallenge(error: string | null, description: string): string {
  const parts = ['realm="gatehouse"', ...(error === null ? [] : [`error="${error}"`, `error_description="${description}"`]), `algs="${DPOP_SIGNING_ALGS.join(' ')}"`];
  return `DPoP ${parts.join(', ')}`;
}

/** RFC 6749 §5.2, RFC 6750 §3 and RFC 9449 §7.1, §8, §9: the challenges and headers that go with refusals. */
function setChallenge(res: Response, error: unknown, view: ErrorView): void {
  if (error instanceof ClientAuthenticationThrottled) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (error instanceof InvalidClient && error.usedAuthorizationHeader) res.setHeader('WWW-Authenticate', 'Basic realm="gatehouse"');
  // RFC 9449 §8, §9: the nonce to use next, wherever it was asked for (token endpoint, /par, a resource).
  if (error instanceof UseDpopNonce) res.setHeader('DPoP-Nonce', error.nonce);
  const resource = protectedResourceOf(res);
  if (resource && isDpopRefusal(error)) {
    res.setHeader('WWW-Authenticate', dpopChallenge(error.error, view.description));
  } else if (error instanceof InvalidToken && resource?.dpop) {
    res.setHeader('WWW-Authenticate', dpopChallenge(error.challengeOnly ? null : 'invalid_token', view.description));
  } else if (error instanceof InvalidToken) {
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
    const described = describe(error);
    const view = { ...described, status: statusOf(res, error, described) };
    if (view.status >= 500) req.log.error({ err: error }, 'request failed');
    else req.log.info({ error: view.error, detail: (error as GatehouseError).detail }, 'request refused');
    res.setHeader('Cache-Control', 'no-store');
    setChallenge(res, error, view);
    res.status(view.status);
    if (wantsJson(req)) {
      res.json({ error: view.error, error_description: view.description });
    } else {
      res.render('error', errorPage(req, res, error, view));
    }
  };
}
