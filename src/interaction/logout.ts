// The end-session endpoint (RP-Initiated Logout 1.0), GET and POST. With a valid id_token_hint for the person
// signed in here, the session ends at once and the browser goes back to the application's registered
// post-logout URI with its `state`. Anything less certain asks the person first, on a CSRF-protected page,
// and an unregistered or untrusted redirect is never followed (§3).
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../auth/secrets.js';
import type { Request, Response } from 'express';
import type { ActiveSession, Sessions } from '../auth/sessions.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { LogoutRefused } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
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

function renderConfirmation(deps: LogoutDependencies, req: Request, res: Response, request: LogoutRequest, active: ActiveSession): void {
  // The confirmed form redirects to the application: browsers apply form-action to that redirect too.
  if (request.redirectUri) res.setHeader('Content-Security-Policy', formActionPolicy(res, request.redirectUri));
  res.render('logout', {
    title: 'Sign out',
    email: active.user.email,
    clientName: request.client?.name ?? null,
    csrfToken: csrfTokenFor(deps.cookies.read(req, 'session') ?? ''),
    clientId: request.client?.clientId ?? '',
    redirectUri: request.redirectUri ?? '',
    state: request.redirectUri ? (request.state ?? '') : '',
    redirectRefused: request.redirectRefused,
  });
}

/** Sends the browser back to the application when that was allowed, or shows that the person is signed out. */
function finish(deps: LogoutDependencies, res: Response, request: LogoutRequest, mayRedirect: boolean): void {
  deps.cookies.clear(res, 'session');
  if (mayRedirect && request.redirectUri) {
    res.redirect(303, postLogoutRedirect(request.redirectUri, request.state));
    return;
  }
  // A registered URI we may not redirect to automatically is still offered as a link the person can choose.
  const returnUrl = request.redirectUri ? postLogoutRedirect(request.redirectUri, request.state) : null;
  res.render('logged-out', { title: 'Signed out', clientName: request.client?.name ?? null, returnUrl });
}

/** The person answered the confirmation page. */
async function confirmed(deps: LogoutDependencies, req: Request, res: Response, form: Record<string, unknown>): Promise<void> {
  const { id_token_hint: _ignored, ...fields } = form;
  const request = await parseLogoutRequest({ store: deps.store, keyRing: deps.keyRing, issuer: deps.config.issuer }, fields);
  const active = await deps.sessions.current(req);
  if (!active) {
    // Already signed out (another tab, expiry): nothing to protect, but no CSRF proof either, so no redirect.
    finish(deps, res, request, false);
    return;
  }
  if (typeof form.csrf !== 'string' || !constantTimeEqual(form.csrf, csrfTokenFor(deps.cookies.read(req, 'session') ?? ''))) {
    throw new LogoutRefused('The sign-out form has expired or did not come from this site. Go back to the application and sign out again.', 403);
  }
  await deps.sessions.end(active);
  // Stryker disable next-line ObjectLiteral,StringLiteral: a log line, not stored or shown; what the person and the store see is tested
  req.log.info({ client: request.client?.clientId }, 'signed out after confirmation');
  finish(deps, res, request, true);
}

export function endSessionEndpoint(deps: LogoutDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const params = ((req.method === 'POST' ? req.body : req.query) ?? {}) as Record<string, unknown>;
    if (req.method === 'POST' && params.csrf !== undefined) {
      await confirmed(deps, req, res, params);
      return;
    }
    const request = await parseLogoutRequest({ store: deps.store, keyRing: deps.keyRing, issuer: deps.config.issuer }, params);
    const active = await deps.sessions.current(req);
    // Only a valid hint for the person signed in here (or for nobody signed in) proves the application asks.
    const trusted = request.hint !== null && (!active || active.user.id === request.hint.sub);
    if (active && !trusted) {
      renderConfirmation(deps, req, res, request, active);
      return;
    }
    if (active) {
      await deps.sessions.end(active);
      // Stryker disable next-line ObjectLiteral,StringLiteral: a log line, not stored or shown; what the person and the store see is tested
      req.log.info({ client: request.client?.clientId }, 'signed out by the application');
    }
    finish(deps, res, request, trusted);
  };
}
