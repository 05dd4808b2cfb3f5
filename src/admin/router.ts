// The admin screens under /admin: every route behind requireAdmin; every POST parses its form and checks the
// CSRF token before any handler runs. State changes happen only on POST. Each screen registers its own routes.
import express, { type Request, type Response, type Router } from 'express';
import { checkedForm } from '../http/middleware/checked-form.js';
import { requireAdmin } from './access.js';
import { attributeRoutes } from './attributes.js';
import { auditRoutes } from './audit.js';
import { clientRoutes } from './clients.js';
import { adminOf, type AdminDependencies } from './context.js';
import { checkAdminCsrf } from './csrf.js';
import { dashboardPage } from './dashboard.js';
import { groupRoutes } from './groups.js';
import { keyRoutes } from './keys.js';
import { userRoutes } from './users.js';

/** Ends the administrator's session everywhere it signed in (back-channel logout included), as /logout would. */
function signOut(deps: AdminDependencies) {
  return async (_req: Request, res: Response): Promise<void> => {
    const admin = adminOf(res);
    await deps.sessions.end({ session: admin.session, user: admin.user });
    deps.cookies.clear(res, 'session');
    res.render('logged-out', { title: 'Signed out', clientName: null, returnUrl: null });
  };
}

const checkedForms = checkedForm(checkAdminCsrf);

export function adminRouter(deps: AdminDependencies): Router {
  const router = express.Router();
  router.use(requireAdmin(deps));
  // Every POST is parsed and checked; other methods pass through untouched.
  router.use((req, res, next) => (req.method === 'POST' ? checkedForms(req, res, next) : next()));
  router.get('/', dashboardPage(deps));
  router.post('/sign-out', signOut(deps));
  userRoutes(router, deps);
  groupRoutes(router, deps);
  attributeRoutes(router, deps);
  clientRoutes(router, deps);
  keyRoutes(router, deps);
  auditRoutes(router, deps);
  return router;
}
