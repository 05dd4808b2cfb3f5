// CSRF protection of the account forms (OWASP ASVS V4.2.2), as on the admin screens (src/admin/csrf.ts): the
// token is derived from the session's secret cookie, which no other site can read, so it needs no storage and
// changes with every sign-in. Its purpose differs from the admin one, so neither page's token opens the other.
import type { NextFunction, Request, Response } from 'express';
import { GatehouseError } from '../errors.js';
import { checkCsrfToken, csrfTokenFor } from '../interaction/pending-request.js';
import { accountOf } from './context.js';

export function accountCsrfToken(sessionSecret: string): string {
  return csrfTokenFor(sessionSecret, 'account');
}

/** Refuses (403) any account form that does not carry this session's token. */
export function checkAccountCsrf(req: Request, res: Response, next: NextFunction): void {
  const presented = (req.body as Record<string, unknown> | undefined)?.csrf;
  try {
    checkCsrfToken(accountOf(res).csrfToken, typeof presented === 'string' ? presented : '', 'Reload the account page and try again.');
  } catch (error) {
    if (error instanceof GatehouseError) error.shown('account.errors.formExpired');
    throw error;
  }
  next();
}
