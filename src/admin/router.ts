// The admin screens under /admin: every route behind requireAdmin; every POST parses its form and checks the
// CSRF token before any handler runs. State changes happen only on POST. Each screen registers its own routes.
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { checkedForm } from '../http/middleware/checked-form.js';
import { requireAdmin } from './access.js';
import { apiRoutes } from './apis.js';
import { attributeRoutes } from './attributes.js';
import { auditRoutes } from './audit.js';
import { brandingRoutes } from './branding.js';
import { checkedBrandingForm } from './branding-upload.js';
import { clientRoutes } from './clients.js';
import { adminOf, type AdminDependencies } from './context.js';
import { checkAdminCsrf } from './csrf.js';
import { dashboardPage } from './dashboard.js';
import { groupRoutes } from './groups.js';
import { keyRoutes } from './keys.js';
import type { ProviderDependencies } from './provider-pages.js';
import { providerRoutes } from './providers.js';
import { registrationRoutes } from './registration.js';
import { userConnectedAppRoutes } from './user-connected-apps.js';
import { userIdentityRoutes } from './user-identities.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';

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

/**
 * The API form (a row of two fields per scope, up to 100 scopes) and the client form (a box per API and per scope
 * it may request, and a pasted JWKS of up to 64 KiB) and the provider form (a directory's CA certificates, up to
 * 64 KiB of PEM: issue 23) need more than the 100 parameters and 32 kB every other form
 * gets (src/http/middleware/parse-form.ts). Still bounded; read only for an administrator (requireAdmin runs first).
 */
// body-parser types its middleware for Node's IncomingMessage; ours take Express's Request, which extends it.
const largeFormParser: RequestHandler = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 1000 });
const LARGE_FORMS = /^\/(apis|clients|providers)(\/|$)/;
const BRANDING_FORM = /^\/branding\/?$/i;

function checkedLargeForms(req: Request, res: Response, next: NextFunction): void {
  largeFormParser(req, res, (error?: unknown) => {
    if (error) {
      next(error);
      return;
    }
    try {
      checkAdminCsrf(req, res, next);
    } catch (refused) {
      next(refused);
    }
  });
}

/** The admin screens' dependencies, with the app's secret box (src/http/app.ts), which seals the providers' secrets (issue 23). */
export type AdminRouterDependencies = ProviderDependencies;

export function adminRouter(deps: AdminRouterDependencies): Router {
  const router = express.Router();
  router.use(requireAdmin(deps));
  // Every POST is parsed and checked; other methods pass through untouched. The Branding form uploads images
  // (multipart/form-data, issue 25: branding-upload.ts).
  router.use((req, res, next) => {
    if (req.method !== 'POST') next();
    else if (BRANDING_FORM.test(req.path)) checkedBrandingForm(req, res, next);
    else if (LARGE_FORMS.test(req.path)) checkedLargeForms(req, res, next);
    else checkedForms(req, res, next);
  });
  router.get('/', dashboardPage(deps));
  router.post('/sign-out', signOut(deps));
  userRoutes(router, deps);
  userIdentityRoutes(router, deps);
  userConnectedAppRoutes(router, deps);
  groupRoutes(router, deps);
  attributeRoutes(router, deps);
  clientRoutes(router, deps);
  registrationRoutes(router, deps);
  apiRoutes(router, deps);
  providerRoutes(router, deps);
  keyRoutes(router, deps);
  brandingRoutes(router, deps);
  webhookRoutes(router, deps);
  auditRoutes(router, deps);
  return router;
}
