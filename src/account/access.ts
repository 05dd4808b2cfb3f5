// Who may see the account page: any signed-in person, about their own account only. The session and its user
// are read from the store on every request (Sessions.current), so an expired session or a disabled account is
// anonymous here. Anonymous visitors go to the login page and come back. Account pages are never cached
// (OWASP ASVS V8.2.1): they show a person's address, sessions and security events.
import type { NextFunction, Request, Response } from 'express';
import { routes } from '../http/routes.js';
import { preferAccount } from '../i18n/page-locale.js';
import { loginUrlFor } from '../interaction/return-to.js';
import type { AccountDependencies, AccountState } from './context.js';
import { accountCsrfToken } from './csrf.js';

/** The account page's own path, under the issuer's base path. */
export function accountPath(deps: Pick<AccountDependencies, 'config'>, suffix = ''): string {
  return `${deps.config.basePath}${routes.account}${suffix}`;
}

/** The login page that brings the person back to the account page. */
export function accountLoginUrl(deps: Pick<AccountDependencies, 'config'>, returnTo = accountPath(deps)): string {
  return loginUrlFor(deps.config.basePath, returnTo);
}

export function requireAccount(deps: AccountDependencies) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const active = await deps.sessions.current(req);
    const secret = deps.cookies.read(req, 'session');
    if (!active || !secret) {
      // A form posted after the session ended is not replayed after signing in: the person starts again from the page.
      res.redirect(303, accountLoginUrl(deps, req.method === 'GET' ? req.originalUrl : accountPath(deps)));
      return;
    }
    await deps.sessions.touch(active.session);
    // Issue 25: the language and time zone saved on the account count for every account page (and the mails sent
    // from one), above the browser's Accept-Language; the switcher's cookie still wins (src/i18n/page-locale.ts).
    preferAccount(req, active.user);
    const state: AccountState = { user: active.user, session: active.session, csrfToken: accountCsrfToken(secret) };
    res.locals.account = state;
    next();
  };
}
