// Signing in with a passkey instead of a password (issue 10), driven by public/passkeys.js on the login page:
// POST /login/passkey/options gives the WebAuthn options and a challenge bound to this browser's cookie;
// POST /login/passkey checks the authenticator's answer and ends the sign-in like every other (complete-sign-in.ts),
// answering the next URL as JSON for the script to follow. Both take JSON and the login form's CSRF token, and
// answer every refusal as JSON `{ error, message }`, the message for the page to show, in the page's language
// (issue 25: the sign-in's ui_locales, else the person's choice or browser's; `error` stays the code scripts read).
import express, { type NextFunction, type Request, type Response } from 'express';
import { authenticationResponseSchema, passkeyAmr, signInOptions, verifySignIn } from '../auth/passkeys.js';
import { hashSecret } from '../auth/secrets.js';
import { retryAfterSeconds, type Throttle } from '../auth/throttle.js';
import { ForbiddenForm, GatehouseError, UntrustedAuthorizationRequest, ValidationError } from '../errors.js';
import { errorText } from '../i18n/error-text.js';
import { localeOf } from '../i18n/page-locale.js';
import { targetClientId, targetOf, type SignInTarget } from './complete-sign-in.js';
import { checkCsrfToken, csrfTokenFor } from './pending-request.js';
import { tryAgainText } from './sign-in-attempt.js';
import { auditFailure } from './sign-in-audit.js';
import type { SignInStepDependencies } from './sign-in-progress.js';
import { proceed } from './sign-in-steps.js';

export type PasskeySignInDependencies = SignInStepDependencies & { throttle: Throttle };

/** JSON bodies, only on the passkey routes; as small as the forms' limit (an answer is a few kilobytes). */
export const parseJson = express.json({ limit: '32kb' });

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The parsed JSON body as an object (anything else is an empty one, refused by the checks that follow). */
export function jsonBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** A refusal a script shows: `message` is a sentence for the person. */
export function refuseJson(res: Response, status: number, error: string, message: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json({ error, message });
}

function errorCode(error: GatehouseError): string {
  if (error instanceof ForbiddenForm) return 'forbidden';
  if (error instanceof UntrustedAuthorizationRequest) return 'expired';
  // Stryker disable next-line ConditionalExpression,StringLiteral: only ForbiddenForm and UntrustedAuthorizationRequest reach this on the passkey routes (and a ValidationError's 400 would give this code below)
  if (error instanceof ValidationError) return 'invalid_request';
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: no other 4xx error of ours is thrown on the passkey routes
  return error.status === 404 ? 'not_found' : 'invalid_request';
}

/**
 * The error step of a JSON route: an expected refusal (a stale or forged form, an unreadable body) becomes JSON
 * for the script rather than a page; anything else goes on to the one error handler.
 */
export function jsonRefusal(error: unknown, req: Request, res: Response, next: NextFunction): void {
  // Stryker disable next-line BlockStatement: no step of these routes throws after its answer went out
  if (res.headersSent) {
    // Stryker disable next-line CallExpression: as above, never reached
    next(error);
    return;
  }
  if (error instanceof GatehouseError && error.status < 500) {
    req.log.info({ error: error.name, detail: error.detail }, 'request refused');
    refuseJson(res, error.status, errorCode(error), errorText(localeOf(req).t, error));
    return;
  }
  // Body parser errors (malformed JSON, too large) carry a 4xx status.
  const status = (error as { status?: unknown }).status;
  // Stryker disable next-line LogicalOperator: body-parser's errors (http-errors) have a numeric 4xx status and expose true, every other error neither, so no error tells a weakened conjunction apart
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    refuseJson(res, status, status === 413 ? 'request_too_large' : 'invalid_request', localeOf(req).t('passkey.unreadableRequest'));
    return;
  }
  next(error);
}

interface CheckedTarget {
  browser: string;
  target: SignInTarget;
}

/**
 * Where the sign-in goes, checked as the login form is: the pending request bound to this browser, or a safe
 * return path; and the CSRF token that login page carries (the same derivation: a passkey on the login page is
 * one more way to answer the same form, from the same browser).
 */
async function checkedTarget(deps: PasskeySignInDependencies, req: Request, body: Record<string, unknown>): Promise<CheckedTarget> {
  const browser = deps.cookies.read(req, 'browser');
  if (!browser) throw new ForbiddenForm('This browser did not keep the sign-in cookie. Allow cookies for this site and open the page again.').shown('login.noCookie');
  const target = await targetOf(deps, req, { request: body.request, return_to: body.return_to });
  const expected = target.kind === 'application' ? target.bound.csrfToken : csrfTokenFor(browser, `return\0${target.returnTo}`);
  checkCsrfToken(expected, text(body.csrf), 'Reload the sign-in page and try again.');
  return { browser, target };
}

/**
 * POST /login/passkey/options (`request` or `return_to`, `csrf`) → `{ challengeId, options }`. Each answer
 * stores a challenge, and anyone can ask (the CSRF token only binds the form to a browser cookie, which the
 * asker chooses): admitted per client address (Throttle.admitAddress: 600 in 10 minutes), past which the answer
 * is 429 with Retry-After and nothing is stored. The request that uses up the budget is audited once.
 */
export function passkeySignInOptions(deps: PasskeySignInDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { browser, target } = await checkedTarget(deps, req, jsonBody(req));
    const admission = await deps.throttle.admitAddress('passkey_options', req.ip);
    const now = deps.clock.now();
    if (!admission.allowed) {
      req.log.info({ scope: 'passkey_options', retryAt: admission.retryAt }, 'passkey challenge not issued: too many from this address');
      res.setHeader('Retry-After', String(retryAfterSeconds(admission.retryAt, now)));
      const { t } = localeOf(req);
      refuseJson(res, 429, 'throttled', t('passkey.tooManyStarted', { tryAgain: tryAgainText(localeOf(req), admission.retryAt, now) }));
      return;
    }
    if (admission.blockedUntil !== null) {
      await deps.store.audit.append({
        at: now,
        type: 'admission.throttled',
        actor: 'anonymous',
        subject: null,
        clientId: targetClientId(target),
        ip: req.ip ?? null,
        outcome: 'failure',
        details: { scope: 'passkey_options', retry_after: retryAfterSeconds(admission.blockedUntil, now) },
      });
    }
    const ceremony = await signInOptions(deps, hashSecret(browser));
    res.setHeader('Cache-Control', 'no-store');
    res.json(ceremony);
  };
}

/**
 * The throttle key of an answer: its owner's email, on the same counters as second-factor codes (NIST SP
 * 800-63B §5.2.2); for a key we do not know, a name of the address's own, so it is never unthrottled.
 */
function throttleKey(email: string | undefined, ip: string | undefined): string {
  return email ?? `unknown-passkey@${ip ?? 'unknown'}`;
}

/** POST /login/passkey (`challengeId`, `response`, `request` or `return_to`, `csrf`) → `{ redirect }` */
export function passkeySignIn(deps: PasskeySignInDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = jsonBody(req);
    const { browser, target } = await checkedTarget(deps, req, body);
    // After checkedTarget: the pending request (and its ui_locales) is known.
    const { t } = localeOf(req);
    const parsed = authenticationResponseSchema.safeParse(body.response);
    if (!parsed.success) {
      refuseJson(res, 400, 'invalid_request', t('passkey.unreadableAnswer'));
      return;
    }
    const answer = parsed.data;
    const passkey = await deps.store.passkeys.findById(answer.id);
    const user = passkey ? await deps.store.users.findById(passkey.userId) : null;
    const gate = await deps.throttle.gate('second_factor', throttleKey(user?.email, req.ip), req.ip);
    if (gate.refusal) {
      res.setHeader('Retry-After', String(retryAfterSeconds(gate.refusal.retryAt, deps.clock.now())));
      refuseJson(res, 429, 'throttled', t('passkey.tooManyFailed', { tryAgain: tryAgainText(localeOf(req), gate.refusal.retryAt, deps.clock.now()) }));
      return;
    }
    const result = await verifySignIn(deps, hashSecret(browser), text(body.challengeId), answer, passkey);
    if (result.outcome === 'expired') {
      refuseJson(res, 400, 'expired', t('passkey.expired'));
      return;
    }
    if (result.outcome === 'refused' || !user || user.disabled) {
      await gate.failed();
      const reason = result.outcome === 'refused' ? 'passkey_refused' : 'account_disabled';
      req.log.info({ reason, detail: result.outcome === 'refused' ? result.detail : undefined }, 'passkey sign-in refused');
      await auditFailure(deps, req, reason, user?.id ?? null, targetClientId(target));
      refuseJson(res, 401, 'not_accepted', t('passkey.notAccepted'));
      return;
    }
    await gate.succeeded();
    // A passkey is both factors, and no password was typed: the steps that follow one ask nothing here.
    await proceed(deps, req, res, { user, target, factors: passkeyAmr(result.passkey), flags: [] }, (url) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ redirect: url });
    });
  };
}
