// The sign-in page. It serves two kinds of sign-in:
// - for an application: GET shows the form for a pending authorization request (`request`), POST checks the
//   credentials, starts a session and sends the browser back to the application with a code (303, never 307/308);
// - for our own pages (`return_to`, e.g. the admin screens): POST starts a session and returns to that page.
// Once the password is right, the sign-in goes through its steps (sign-in-steps.ts: a second factor, a new password
// when this one is in the breach corpus, the application's access rule) before it completes.
// Every attempt, successful or not, is recorded in the audit log.
// Under the form, one link per enabled upstream provider ("Continue with <name>", issue 23: federation-start.ts),
// and, when a provider's sign-in found an existing account with the person's email (`link=<slug>`), the notice
// that they must sign in to it once here to link that provider (link-step.ts).
// The page is in the sign-in's language (issue 25: the application's ui_locales, kept with the pending request,
// else the person's choice or browser's), and shows the application's https logo beside its name.
import type { Request, Response } from 'express';
import { retryAfterSeconds } from '../auth/throttle.js';
import { UntrustedAuthorizationRequest } from '../errors.js';
import type { Federation } from '../federation/federation.js';
import type { LoginStateTarget } from '../federation/federation-state.js';
import { logoUrl } from '../http/browser-url.js';
import { formActionPolicy, imagePolicy } from '../http/middleware/security-headers.js';
import { localeOf } from '../i18n/page-locale.js';
import type { ClientRecord } from '../store/records.js';
import { applicationTarget, invalidSignInLink, type SignInTarget } from './complete-sign-in.js';
import { browserProvider, providerButtons, type ProviderButton } from './federation-providers.js';
import { checkCsrf, checkCsrfToken, csrfTokenFor, type BoundRequest } from './pending-request.js';
import { safeReturnPath } from './return-to.js';
import { attemptSignIn, type SignInAttempt } from './sign-in-attempt.js';
import type { SignInStepDependencies } from './sign-in-progress.js';
import { proceed } from './sign-in-steps.js';
import { browserSecretOf } from './browser-secret.js';

/** `federation`: the upstream clients and directories (a directory checks the password typed here: sign-in-attempt.ts). */
export type LoginDependencies = SignInStepDependencies & { federation: Federation };

interface LoginForm {
  /** Who the person signs in to, shown under the heading; null for our own pages. */
  clientName: string | null;
  /** The application's logo (https only: the CSP admits its origin alone); null for none or our own pages. */
  clientLogoUrl: string | null;
  /** The hidden fields that say where the sign-in goes on. */
  hidden: Record<string, string>;
  csrfToken: string;
  /** `form-action` widened to the application's origin (formActionPolicy); null for our own pages. */
  redirectUri: string | null;
}

/** What the page shows besides the form: the providers' buttons, and the notice of a pending link. */
interface Federated {
  providers: ProviderButton[];
  /** The display name of the provider waiting to be linked (`link=<slug>`), or null. */
  linkName: string | null;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The CSRF token of a sign-in to one of our pages: bound to this browser's cookie and to where it returns. */
function returnCsrf(browser: string, returnTo: string): string {
  return csrfTokenFor(browser, `return\0${returnTo}`);
}

function renderForm(req: Request, res: Response, form: LoginForm, federated: Federated, email: string, error: string | null): void {
  res.setHeader('Cache-Control', 'no-store');
  // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
  if (form.redirectUri !== null) res.setHeader('Content-Security-Policy', formActionPolicy(res, form.redirectUri));
  // img-src widened by exactly the origins of the images shown: the providers' icons and the application's logo.
  const images = [...federated.providers.flatMap((provider) => (provider.iconUrl ? [provider.iconUrl] : [])), ...(form.clientLogoUrl ? [form.clientLogoUrl] : [])];
  if (images.length > 0) res.setHeader('Content-Security-Policy', imagePolicy(res, images));
  res.render('login', { title: localeOf(req).t('login.title'), ...form, ...federated, email, error });
}

/**
 * The buttons for this target, and the pending link named by `link` (a provider that still exists; the login
 * page cannot know whether this browser holds a link state, and need not: the notice only explains). The slug
 * rides along in the form, so a mistyped password does not lose the notice.
 */
async function federatedOf(deps: LoginDependencies, req: Request, target: LoginStateTarget, link: unknown): Promise<Federated> {
  const linking = await browserProvider(deps.store, link);
  return { providers: await providerButtons(deps.store, deps.config.basePath, target, localeOf(req).t), linkName: linking?.name ?? null };
}

/** The hidden `link` field that keeps the notice on the page again after a refused attempt. */
function withLink(hidden: Record<string, string>, federated: Federated, link: unknown): Record<string, string> {
  return federated.linkName !== null && typeof link === 'string' ? { ...hidden, link } : hidden;
}

function applicationForm(bound: BoundRequest, client: ClientRecord): LoginForm {
  return {
    clientName: client.name,
    clientLogoUrl: logoUrl(client.logoUri),
    hidden: { request: bound.id },
    csrfToken: bound.csrfToken,
    redirectUri: bound.record.params.redirect_uri ?? '',
  };
}

function returnForm(returnTo: string, csrfToken: string): LoginForm {
  return { clientName: null, clientLogoUrl: null, hidden: { return_to: returnTo }, csrfToken, redirectUri: null };
}

/**
 * 401 for wrong credentials; 429 with Retry-After when throttled (RFC 6585 §4); 503 when the directory that
 * decides for this person is not answering (issue 23: never a local fallback).
 */
function refuse(deps: LoginDependencies, res: Response, attempt: Exclude<SignInAttempt, { outcome: 'signed_in' }>): void {
  if (attempt.outcome === 'throttled') {
    res.status(429).setHeader('Retry-After', String(retryAfterSeconds(attempt.retryAt, deps.clock.now())));
  } else if (attempt.outcome === 'unavailable') {
    res.status(503);
  } else {
    res.status(401);
  }
}

/** The same words whether or not the account exists (OWASP ASVS V2.2); throttling and a silent directory say so. */
function failureMessage(req: Request, attempt: Exclude<SignInAttempt, { outcome: 'signed_in' }>): string {
  return attempt.outcome === 'throttled' || attempt.outcome === 'unavailable' ? attempt.message : localeOf(req).t('login.incorrect');
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
      const browser = browserSecretOf(deps.cookies, req, res);
      const federated = await federatedOf(deps, req, { return_to: returnTo }, req.query.link);
      const form = returnForm(returnTo, returnCsrf(browser, returnTo));
      renderForm(req, res, { ...form, hidden: withLink(form.hidden, federated, req.query.link) }, federated, '', null);
      return;
    }
    const { bound, client } = await applicationTarget(deps, req, requestId);
    const federated = await federatedOf(deps, req, { request: bound.id }, req.query.link);
    const form = applicationForm(bound, client);
    renderForm(req, res, { ...form, hidden: withLink(form.hidden, federated, req.query.link) }, federated, bound.record.params.login_hint ?? '', null);
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
      const federated = await federatedOf(deps, req, { request: bound.id }, body.link);
      const form = applicationForm(bound, client);
      renderForm(req, res, { ...form, hidden: withLink(form.hidden, federated, body.link) }, federated, email.length <= 254 ? email : '', failureMessage(req, attempt));
      return;
    }
    await passwordAccepted(deps, req, res, target, attempt, text(body.password));
  };
}

/**
 * The password was right: the steps that follow it. Whether it is in the breach corpus is known only now, while it
 * is at hand; the step that asks for a new one comes after every other factor.
 */
async function passwordAccepted(
  deps: LoginDependencies,
  req: Request,
  res: Response,
  target: SignInTarget,
  { user, idp }: Extract<SignInAttempt, { outcome: 'signed_in' }>,
  password: string,
): Promise<void> {
  // A directory's password (idp: its slug) is the directory's to judge: the breach corpus is consulted for ours only.
  const breached = idp === null && (await deps.breachedPasswords?.contains(password)) === true;
  await proceed(deps, req, res, { user, target, factors: ['pwd'], flags: breached ? ['password_breached'] : [], idp });
}

/** A sign-in to one of our own pages (`return_to`): no application, no code; back to the page. */
async function returnSignIn(deps: LoginDependencies, req: Request, res: Response, body: Record<string, unknown>): Promise<void> {
  const returnTo = safeReturnPath(deps.config.basePath, body.return_to);
  if (!returnTo) throw invalidSignInLink();
  const browser = deps.cookies.read(req, 'browser');
  if (!browser) throw new UntrustedAuthorizationRequest('This browser did not keep the sign-in cookie. Allow cookies for this site and open the page again.').shown('login.noCookie');
  const csrfToken = returnCsrf(browser, returnTo);
  checkCsrfToken(csrfToken, text(body.csrf), 'Open the page you wanted again.');
  const email = text(body.email);
  const attempt = await attemptSignIn(deps, req, email, text(body.password), null);
  if (attempt.outcome !== 'signed_in') {
    refuse(deps, res, attempt);
    const federated = await federatedOf(deps, req, { return_to: returnTo }, body.link);
    const form = returnForm(returnTo, csrfToken);
    renderForm(req, res, { ...form, hidden: withLink(form.hidden, federated, body.link) }, federated, email.length <= 254 ? email : '', failureMessage(req, attempt));
    return;
  }
  await passwordAccepted(deps, req, res, { kind: 'page', returnTo }, attempt, text(body.password));
}
