// CSRF tokens for the forms a person fills in before signing in (forgot password, reset, verify email): bound
// to the browser's own random cookie and to the form's purpose, so that no other site can post them for it.
import type { Request, Response } from 'express';
import { ForbiddenForm } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import { checkCsrfToken, csrfTokenFor } from './pending-request.js';
import { browserSecretOf } from './browser-secret.js';

/** The token for the form, setting the browser cookie first when the browser has none. */
export function browserCsrfToken(cookies: Cookies, req: Request, res: Response, purpose: string): string {
  return csrfTokenFor(browserSecretOf(cookies, req, res), purpose);
}

/** The translations (issue 25) of a form's two refusals, each the whole sentence with the form's own advice. */
export interface CsrfRefusalTexts {
  /** "This browser did not keep the cookie the form needs. … <advice>" */
  noCookie: string;
  /** "The form has expired or did not come from this site. <advice>" */
  expired: string;
}

/**
 * Refuses the form (403) unless it carries this browser's token for the purpose. The English `advice` ends the
 * message logs keep; `texts` are the keys of what the page shows (without them, the English message).
 */
export function checkBrowserCsrf(cookies: Cookies, req: Request, purpose: string, advice: string, texts?: CsrfRefusalTexts): void {
  const browser = cookies.read(req, 'browser');
  if (!browser) {
    const refusal = new ForbiddenForm(`This browser did not keep the cookie the form needs. Allow cookies for this site. ${advice}`);
    throw texts ? refusal.shown(texts.noCookie) : refusal;
  }
  const presented = (req.body as Record<string, unknown> | undefined)?.csrf;
  try {
    checkCsrfToken(csrfTokenFor(browser, purpose), typeof presented === 'string' ? presented : '', advice);
  } catch (error) {
    throw texts && error instanceof ForbiddenForm ? error.shown(texts.expired) : error;
  }
}

/** A form field as a string ('' when absent or repeated). */
export function field(req: Request, name: string): string {
  // Stryker disable next-line OptionalChaining: equivalent; every caller reads fields only after checkBrowserCsrf found the token in the body
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The page of a mailed link that no longer works (expired, used, replaced), with where to get a new one. */
export function renderLinkExpired(res: Response, view: { title: string; message: string; retryPath: string; retryLabel: string }, status = 400): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).render('link-expired', view);
}
