// The account page at /account, for the signed-in person: every route behind requireAccount; every POST
// parses its form and checks the CSRF token before any handler runs (as on the admin screens). State changes
// happen only on POST, each answered with a 303 back to the page (or the page itself with its errors). The
// guard sits on the routes rather than the whole prefix, so an unknown path under /account is a plain 404. With it,
// every route reads the person's linked sign-in providers (linked-identities.ts: issue 23), which the page shows
// whichever handler renders it.
import express, { type Router } from 'express';
import { checkedForm } from '../http/middleware/checked-form.js';
import { requireAccount } from './access.js';
import type { AccountDependencies } from './context.js';
import { removeConnectedApp } from './connected-apps.js';
import { checkAccountCsrf } from './csrf.js';
import { linkedSignIn, passwordHeldHere, removeIdentity } from './linked-identities.js';
import { changePassword } from './password.js';
import { changePreferences } from './preferences.js';
import { changeEmail, changeName, resendVerification } from './profile.js';
import { accountPage } from './render.js';
import { signOutEverywhere, signOutSession } from './sessions.js';
import { jsonRefusal, parseJson } from '../interaction/passkey-sign-in.js';
import { addPasskey, passkeyRegistrationOptions, removePasskey, renamePasskey } from './passkeys.js';
import { confirmTwoFactor, replaceRecoveryCodes, startTwoFactorSetup, turnOffTwoFactor, twoFactorSetupPage } from './two-factor.js';

export function accountRouter(deps: AccountDependencies): Router {
  const router = express.Router();
  // The linked-providers section is read only where the account page may be rendered, not for the passkey script's JSON.
  const signedIn = [requireAccount(deps), linkedSignIn(deps)];
  const signedInJson = requireAccount(deps);
  const checkedForms = checkedForm(checkAccountCsrf);
  router.get('/', signedIn, accountPage(deps));
  router.post('/name', signedIn, checkedForms, changeName(deps));
  router.post('/email', signedIn, checkedForms, changeEmail(deps));
  router.post('/email/verification', signedIn, checkedForms, resendVerification(deps));
  router.post('/password', signedIn, checkedForms, passwordHeldHere(deps), changePassword(deps));
  router.post('/sessions/sign-out', signedIn, checkedForms, signOutSession(deps));
  router.post('/sessions/sign-out-all', signedIn, checkedForms, signOutEverywhere(deps));
  router.get('/two-factor', signedIn, twoFactorSetupPage(deps));
  router.post('/two-factor/setup', signedIn, checkedForms, startTwoFactorSetup(deps));
  router.post('/two-factor/confirm', signedIn, checkedForms, confirmTwoFactor(deps));
  router.post('/two-factor/recovery-codes', signedIn, checkedForms, replaceRecoveryCodes(deps));
  router.post('/two-factor/remove', signedIn, checkedForms, turnOffTwoFactor(deps));
  // Adding a passkey is driven by a script (public/passkeys.js): JSON in, JSON out, refusals too.
  router.post('/passkeys/options', signedInJson, parseJson, checkAccountCsrf, passkeyRegistrationOptions(deps), jsonRefusal);
  router.post('/passkeys', signedInJson, parseJson, checkAccountCsrf, addPasskey(deps), jsonRefusal);
  router.post('/passkeys/rename', signedIn, checkedForms, renamePasskey(deps));
  router.post('/passkeys/remove', signedIn, checkedForms, removePasskey(deps));
  router.post('/identities/remove', signedIn, checkedForms, removeIdentity(deps));
  // Issue 24: "Remove access" of one of the person's connected apps (connected-apps.ts).
  router.post('/connected-apps/remove', signedIn, checkedForms, removeConnectedApp(deps));
  // Issue 25: "Language and region" (preferences.ts).
  router.post('/preferences', signedIn, checkedForms, changePreferences(deps));
  return router;
}
