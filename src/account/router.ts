// The account page at /account, for the signed-in person: every route behind requireAccount; every POST
// parses its form and checks the CSRF token before any handler runs (as on the admin screens). State changes
// happen only on POST, each answered with a 303 back to the page (or the page itself with its errors). The
// guard sits on the routes rather than the whole prefix, so an unknown path under /account is a plain 404.
import express, { type Router } from 'express';
import { checkedForm } from '../http/middleware/checked-form.js';
import { requireAccount } from './access.js';
import type { AccountDependencies } from './context.js';
import { checkAccountCsrf } from './csrf.js';
import { changePassword } from './password.js';
import { changeEmail, changeName, resendVerification } from './profile.js';
import { accountPage } from './render.js';
import { signOutEverywhere, signOutSession } from './sessions.js';

export function accountRouter(deps: AccountDependencies): Router {
  const router = express.Router();
  const signedIn = requireAccount(deps);
  const checkedForms = checkedForm(checkAccountCsrf);
  router.get('/', signedIn, accountPage(deps));
  router.post('/name', signedIn, checkedForms, changeName(deps));
  router.post('/email', signedIn, checkedForms, changeEmail(deps));
  router.post('/email/verification', signedIn, checkedForms, resendVerification(deps));
  router.post('/password', signedIn, checkedForms, changePassword(deps));
  router.post('/sessions/sign-out', signedIn, checkedForms, signOutSession(deps));
  router.post('/sessions/sign-out-all', signedIn, checkedForms, signOutEverywhere(deps));
  return router;
}
