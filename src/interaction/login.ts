// The sign-in page. It serves two kinds of sign-in:
// - for an application: GET shows the form for a pending authorization request (`request`), POST checks the
//   credentials, starts a session and sends the browser back to the application with a code (303, never 307/308);
// - for our own pages (`return_to`, e.g. the admin screens): POST starts a session and returns to that page.
// Once the password is right, the sign-in goes through its steps (sign-in-steps.ts: a second factor, a new password
// when this one is in the breach corpus, the application's access rule) before it completes.
// Every attempt, successful or not, is recorded in the audit log.
import type { Request, Response } from 'express';
import { randomSecret } from '../auth/secrets.js';
import { retryAfterSeconds } from '../auth/throttle.js';
import { UntrustedAuthorizationRequest } from '../errors.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import type { ClientRecord, UserRecord } from '../store/records.js';
import { applicationTarget, type SignInTarget } from './complete-sign-in.js';
import { checkCsrf, checkCsrfToken, csrfTokenFor, type BoundRequest } from './pending-request.js';
import { safeReturnPath } from './return-to.js';
import { attemptSignIn, type SignInAttempt } from './sign-in-attempt.js';
import type { SignInStepDependencies } from './sign-in-progress.js';
import { proceed } from './sign-in-steps.js';

export type LoginDependencies = SignInStepDependencies;

const GENERIC_FAILURE = 'Incorrect email or password.';

interface LoginForm {
  /** Who the person signs in to, shown under the heading; null for our own pages. */
  clientName: string | null;
  /** The hidden fields that say where the sign-in goes on. */
  hidden: Record<string, string>;
  csrfToken: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The CSRF token of a sign-in to one of our pages: bound to this browser's cookie and to where it returns. */
function returnCsrf(browser: string, returnTo: string): string {
  return csrfTokenFor(browser, `return\0${returnTo}`);
}

function renderForm(res: Response, form: LoginForm, email: string, error: string | null, csp: string | null): void {
  res.setHeader('Cache-Control', 'no-store');
  if (csp) res.setHeader('Content-Security-Policy', csp);
  res.render('login', { title: 'Sign in', ...form, email, error });
}

function applicationForm(bound: BoundRequest, client: ClientRecord): LoginForm {
  return { clientName: client.name, hidden: { request: bound.id }, csrfToken: bound.csrfToken };
}

/** 401 for wrong credentials; 429 with Retry-After when throttled (RFC 6585 §4). */
function refuse(deps: LoginDependencies, res: Response, attempt: Exclude<SignInAttempt, { outcome: 'signed_in' }>): void {
  if (attempt.outcome === 'throttled') {
    res.status(429).setHeader('Retry-After', String(retryAfterSeconds(attempt.retryAt, deps.clock.now())));
  } else {
    res.status(401);
  }
}

function failureMessage(attempt: Exclude<SignInAttempt, { outcome: 'signed_in' }>): string {
  return attempt.outcome === 'throttled' ? attempt.message : GENERIC_FAILURE;
}

export function loginPage(deps: LoginDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const requestId = text(req.query.request);
    const returnTo = requestId ? null : safeReturnPath(deps.config.basePath, req.query.return_to);
    if (returnTo) {
      // Already signed in: nothing to ask.
      if (await deps.sessions.current(req)) {
        res.setHeader('Cache-Control', 'no-store');
        res.redirect(303, returnTo);
        return;
      }
      let browser = deps.cookies.read(req, 'browser');
      if (!browser) {
        browser = randomSecret();
        deps.cookies.set(res, 'browser', browser);
      }
      renderForm(res, { clientName: null, hidden: { return_to: returnTo }, csrfToken: returnCsrf(browser, returnTo) }, '', null, null);
      return;
    }
    const { bound, client } = await applicationTarget(deps, req, requestId);
    // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
    renderForm(res, applicationForm(bound, client), bound.record.params.login_hint ?? '', null, formActionPolicy(res, bound.record.params.redirect_uri ?? ''));
  };
}

export function loginSubmit(deps: LoginDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!text(body.request) && body.return_to !== undefined) {
      await returnSignIn(deps, req, res, body);
      return;
    }
    const target = await applicationTarget(deps, req, text(body.request));
    const { bound, client } = target;
    checkCsrf(bound, text(body.csrf));
    const email = text(body.email);
    const attempt = await attemptSignIn(deps, req, email, text(body.password), client.clientId);
    if (attempt.outcome !== 'signed_in') {
      refuse(deps, res, attempt);
      renderForm(res, applicationForm(bound, client), email.length <= 254 ? email : '', failureMessage(attempt), formActionPolicy(res, bound.record.params.redirect_uri ?? ''));
      return;
    }
    await passwordAccepted(deps, req, res, target, attempt.user, text(body.password));
  };
}

/**
 * The password was right: the steps that follow it. Whether it is in the breach corpus is known only now, while it
 * is at hand; the step that asks for a new one comes after every other factor.
 */
async function passwordAccepted(deps: LoginDependencies, req: Request, res: Response, target: SignInTarget, user: UserRecord, password: string): Promise<void> {
  const breached = (await deps.breachedPasswords?.contains(password)) === true;
  await proceed(deps, req, res, { user, target, factors: ['pwd'], flags: breached ? ['password_breached'] : [] });
}

/** A sign-in to one of our own pages (`return_to`): no application, no code; back to the page. */
async function returnSignIn(deps: LoginDependencies, req: Request, res: Response, body: Record<string, unknown>): Promise<void> {
  const returnTo = safeReturnPath(deps.config.basePath, body.return_to);
  if (!returnTo) throw new UntrustedAuthorizationRequest('This sign-in link is not valid. Open the page you wanted again.');
  const browser = deps.cookies.read(req, 'browser');
  if (!browser) throw new UntrustedAuthorizationRequest('This browser did not keep the sign-in cookie. Allow cookies for this site and open the page again.');
  const csrfToken = returnCsrf(browser, returnTo);
  checkCsrfToken(csrfToken, text(body.csrf), 'Open the page you wanted again.');
  const email = text(body.email);
  const attempt = await attemptSignIn(deps, req, email, text(body.password), null);
  if (attempt.outcome !== 'signed_in') {
    refuse(deps, res, attempt);
    renderForm(res, { clientName: null, hidden: { return_to: returnTo }, csrfToken }, email.length <= 254 ? email : '', failureMessage(attempt), null);
    return;
  }
  await passwordAccepted(deps, req, res, { kind: 'page', returnTo }, attempt.user, text(body.password));
}
