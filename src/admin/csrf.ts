// CSRF protection of the admin forms (OWASP ASVS V4.2.2). The token is derived from the session's secret cookie,
// which no other site can read, so it needs no storage and changes with every sign-in. The session cookie is
// also SameSite=Lax; the token is the defence that does not depend on the browser.
import type { NextFunction, Request, Response } from 'express';
import { csrfTokenFor, checkCsrfToken } from '../interaction/pending-request.js';
import { adminOf } from './context.js';

export function adminCsrfToken(sessionSecret: string): string {
  return csrfTokenFor(sessionSecret, 'admin');
}

/** Refuses any state-changing admin request whose form does not carry this session's token. */
export function checkAdminCsrf(req: Request, res: Response, next: NextFunction): void {
  const presented = (req.body as Record<string, unknown> | undefined)?.csrf;
  checkCsrfToken(adminOf(res).csrfToken, typeof presented === 'string' ? presented : '', 'Reload the page and try again.');
  next();
}
