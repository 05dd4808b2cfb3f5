// Who may see the admin screens: a signed-in person whose account has the admin flag, checked on every request
// from the store (a demoted admin's next request is refused). Anonymous visitors go to the login page and come
// back; everyone else gets a 403 page. Admin pages are never cached (OWASP ASVS V8.2.1).
import type { NextFunction, Request, Response } from 'express';
import { AdminOnly } from '../errors.js';
import { loginUrlFor } from '../interaction/return-to.js';
import { routes } from '../http/routes.js';
import type { SessionRecord } from '../store/records.js';
import type { AdminDependencies, AdminState } from './context.js';
import { adminCsrfToken } from './csrf.js';

/** How long after signing in (or re-entering the password) sensitive actions go ahead without asking again. */
export const RECENT_SIGN_IN_MS = 15 * 60 * 1000;

/**
 * When the person last proved the password to this session: the sign-in, or a later re-entry on the admin screens.
 * The re-entry is kept apart from `authTime` (issue 19, F6), which ID tokens and `max_age` read as the sign-in's.
 */
export function lastProvedAt(session: SessionRecord): number {
  return Math.max(session.authTime, session.reauthenticatedAt ?? session.authTime);
}

export function requireAdmin(deps: AdminDependencies) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const active = await deps.sessions.current(req);
    const secret = deps.cookies.read(req, 'session');
    if (!active || !secret) {
      // A form posted after the session ended cannot be replayed; the person starts again from the page.
      const returnTo = req.method === 'GET' ? req.originalUrl : `${deps.config.basePath}${routes.admin}`;
      res.redirect(303, loginUrlFor(deps.config.basePath, returnTo));
      return;
    }
    if (!active.user.isAdmin) {
      throw new AdminOnly('This page is for administrators. Your account does not have administrator access.');
    }
    await deps.sessions.touch(active.session);
    const state: AdminState = {
      user: active.user,
      session: active.session,
      csrfToken: adminCsrfToken(secret),
      recentSignIn: deps.clock.now() - lastProvedAt(active.session) < RECENT_SIGN_IN_MS,
    };
    res.locals.admin = state;
    next();
  };
}
