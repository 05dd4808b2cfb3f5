// The admin screens under /admin: every route behind requireAdmin; every POST parses its form and checks the
// CSRF token before any handler runs. State changes happen only on POST. Each screen registers its own routes.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parseForm } from '../http/middleware/parse-form.js';
import { requireAdmin } from './access.js';
import { auditRoutes } from './audit.js';
import { clientRoutes } from './clients.js';
import { adminOf, type AdminDependencies } from './context.js';
import { checkAdminCsrf } from './csrf.js';
import { dashboardPage } from './dashboard.js';
import { keyRoutes } from './keys.js';
import { userRoutes } from './users.js';

/** Ends the administrator's session everywhere it signed in (back-channel logout included), as /logout would. */
function signOut(deps: AdminDependencies) {
  return async (_req: Request, res: Response): Promise<void> => {
    const admin = adminOf(res);
    await deps.sessions.end(res, { session: admin.session, user: admin.user });
    res.render('logged-out', { title: 'Signed out', clientName: null, returnUrl: null });
  };
}

/** Parses and checks the form of every POST; other methods pass through untouched. */
function checkedForms(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'POST') {
    next();
    return;
  }
  parseForm(req, res, (error?: unknown) => {
    if (error) {
      next(error);
      return;
    }
    // Inside the body parser's callback Express no longer catches a throw: pass the refusal on explicitly.
    try {
      checkAdminCsrf(req, res, next);
    } catch (refused) {
      next(refused);
    }
  });
}

export function adminRouter(deps: AdminDependencies): Router {
  const router = express.Router();
  router.use(requireAdmin(deps));
  router.use(checkedForms);
  router.get('/', dashboardPage(deps));
  router.post('/sign-out', signOut(deps));
  userRoutes(router, deps);
  clientRoutes(router, deps);
  keyRoutes(router, deps);
  auditRoutes(router, deps);
  return router;
}
