// The end-session endpoint (RP-Initiated Logout 1.0), GET and POST. With a valid id_token_hint for the person
// signed in here, the session ends at once and the browser goes back to the application's registered
// post-logout URI with its `state`. Anything less certain asks the person first, on a CSRF-protected page,
// and an unregistered or untrusted redirect is never followed (§3). The pages are in the language the request's
// ui_locales asks for (§2), else the person's (issue 25, src/i18n/page-locale.ts).
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../auth/secrets.js';
import type { Request, Response } from 'express';
import type { ActiveSession, Sessions } from '../auth/sessions.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { LogoutRefused } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import { routes } from '../http/routes.js';
import type { LanguageSwitch } from '../i18n/localization.js';
import { localeOf, preferAccount, preferRequestLocales } from '../i18n/page-locale.js';
import { safeReturnPath } from '../i18n/return-path.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { Store } from '../store/store.js';
import { parseLogoutRequest, postLogoutRedirect, type LogoutRequest } from './logout-request.js';

export interface LogoutDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  keyRing: KeyRing;
  cookies: Cookies;
  sessions: Sessions;
}

/** Bound to the session cookie: a page from another site cannot know it, and it dies with the session. */
function csrfTokenFor(sessionSecret: string): string {
  return createHash('sha256').update(`gatehouse-logout\0${sessionSecret}`).digest('base64url');
}

/** The request's ui_locales (§2), kept for the confirmation form so the page after it speaks the same language. */
function uiLocalesOf(params: Record<string, unknown>): string {
  const value = params.ui_locales;
  return typeof value === 'string' && value.length <= 256 ? value : '';
}

/**
 * The language switcher of these pages returns to the end-session endpoint with what may be asked again: the
 * application, its registered post-logout URI and state, and ui_locales. Never the ID token hint (a credential, in
 * a form field) nor an address that was refused; without a session, asking again only shows the signed-out page.
 */
function languageSwitchOf(deps: LogoutDependencies, req: Request, res: Response, request: LogoutRequest): LanguageSwitch | null {
  const current = (res.locals as { languageSwitch?: LanguageSwitch | null }).languageSwitch;
  if (!current) return null;
  const query = new URLSearchParams();
  if (request.client) query.set('client_id', request.client.clientId);
  if (request.redirectUri) {
    query.set('post_logout_redirect_uri', request.redirectUri);
    if (request.state !== undefined) query.set('state', request.state);
  }
  const uiLocales = uiLocalesOf(((req.method === 'POST' ? req.body : req.query) ?? {}) as Record<string, unknown>);
  if (uiLocales) query.set('ui_locales', uiLocales);
  const base = `${deps.config.basePath}${routes.endSession}`;
  const path = query.size > 0 ? `${base}?${query.toString()}` : base;
  return { ...current, returnTo: safeReturnPath(path, deps.config.basePath) ?? base };
}

function renderConfirmation(deps: LogoutDependencies, req: Request, res: Response, request: LogoutRequest, active: ActiveSession, uiLocales: string): void {
  // The confirmed form redirects to the application: browsers apply form-action to that redirect too.
  if (request.redirectUri) res.setHeader('Content-Security-Policy', formActionPolicy(res, request.redirectUri));
  res.render('logout', {
    title: localeOf(req).t('logout.title'),
    email: active.user.email,
    clientName: request.client?.name ?? null,
    csrfToken: csrfTokenFor(deps.cookies.read(req, 'session') ?? ''),
    clientId: request.client?.clientId ?? '',
    redirectUri: request.redirectUri ?? '',
    state: request.redirectUri ? (request.state ?? '') : '',
    redirectRefused: request.redirectRefused,
    uiLocales,
    languageSwitch: languageSwitchOf(deps, req, res, request),
  });
}

/** Sends the browser back to the application when that was allowed, or shows that the person is signed out. */
function finish(deps: LogoutDependencies, req: Request, res: Response, request: LogoutRequest, mayRedirect: boolean): void {
  deps.cookies.clear(res, 'session');
  if (mayRedirect && request.redirectUri) {
    res.redirect(303, postLogoutRedirect(request.redirectUri, request.state));
    return;
  }
  // A registered URI we may not redirect to automatically is still offered as a link the person can choose.
  const returnUrl = request.redirectUri ? postLogoutRedirect(request.redirectUri, request.state) : null;
  res.render('logged-out', {
    title: localeOf(req).t('logout.doneTitle'),
    clientName: request.client?.name ?? null,
    returnUrl,
    languageSwitch: languageSwitchOf(deps, req, res, request),
  });
}

/** The person answered the confirmation page. */
async function confirmed(deps: LogoutDependencies, req: Request, res: Response, form: Record<string, unknown>): Promise<void> {
  const { id_token_hint: _ignored, ...fields } = form;
  const request = await parseLogoutRequest({ store: deps.store, keyRing: deps.keyRing, issuer: deps.config.issuer }, fields);
  const active = await deps.sessions.current(req);
  if (active) preferAccount(req, active.user);
  if (!active) {
    // Already signed out (another tab, expiry): nothing to protect, but no CSRF proof either, so no redirect.
    finish(deps, req, res, request, false);
    return;
  }
  if (typeof form.csrf !== 'string' || !constantTimeEqual(form.csrf, csrfTokenFor(deps.cookies.read(req, 'session') ?? ''))) {
    throw new LogoutRefused('The sign-out form has expired or did not come from this site. Go back to the application and sign out again.', 403).shown('logout.formExpired');
  }
  await deps.sessions.end(active);
  // Stryker disable next-line ObjectLiteral,StringLiteral: a log line, not stored or shown; what the person and the store see is tested
  req.log.info({ client: request.client?.clientId }, 'signed out after confirmation');
  finish(deps, req, res, request, true);
}

export function endSessionEndpoint(deps: LogoutDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const params = ((req.method === 'POST' ? req.body : req.query) ?? {}) as Record<string, unknown>;
    // RP-Initiated Logout 1.0 §2: ui_locales, the application's preferred languages for these pages (first wins).
    const uiLocales = uiLocalesOf(params);
    if (uiLocales) preferRequestLocales(req, uiLocales);
    if (req.method === 'POST' && params.csrf !== undefined) {
      await confirmed(deps, req, res, params);
      return;
    }
    const request = await parseLogoutRequest({ store: deps.store, keyRing: deps.keyRing, issuer: deps.config.issuer }, params);
    const active = await deps.sessions.current(req);
    if (active) preferAccount(req, active.user);
    // Only a valid hint for the person signed in here (or for nobody signed in) proves the application asks.
    const trusted = request.hint !== null && (!active || active.user.id === request.hint.sub);
    if (active && !trusted) {
      renderConfirmation(deps, req, res, request, active, uiLocales);
      return;
    }
    if (active) {
      await deps.sessions.end(active);
      // Stryker disable next-line ObjectLiteral,StringLiteral: a log line, not stored or shown; what the person and the store see is tested
      req.log.info({ client: request.client?.clientId }, 'signed out by the application');
    }
    finish(deps, req, res, request, trusted);
  };
}
