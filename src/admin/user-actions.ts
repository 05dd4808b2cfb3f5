// The buttons of a user's page: a new password (typed or generated), disable and enable, sign out
// everywhere, and ending one session. Each goes through src/manage/users.ts, which audits it as this
// administrator from this address, then redirects back to the page (303) with what was done.
import type { Request, Response } from 'express';
import { generatePassword } from '../auth/generated-password.js';
import { LastAdminError, ValidationError } from '../errors.js';
import { resetSecondFactors, revokeSession, setDisabled, setPassword, signOutEverywhere } from '../manage/users.js';
import { manageContext, type AdminDependencies } from './context.js';
import { parseForm, passwordChoice, passwordSchema, sentence } from './user-forms.js';
import { renderUserPage, userById, userPath } from './user-page.js';

/** POST /admin/users/:id/password */
export function setUserPassword(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const form = parseForm(passwordSchema, req);
    const minLength = deps.config.passwordMinLength;
    let typed: string | null;
    try {
      typed = passwordChoice(form, user.email, minLength, { name: user.name, issuer: deps.config.issuer });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderUserPage(deps, req, res, user, { passwordErrors: { password: sentence(error.message) } }, 400);
      return;
    }
    const password = typed ?? generatePassword({ email: user.email, minLength });
    try {
      await setPassword(manageContext(deps, res, req.ip), user.id, password);
    } catch (error) {
      // The checks only the store's side can make (the breach corpus), next to the field like the others.
      if (!(error instanceof ValidationError)) throw error;
      await renderUserPage(deps, req, res, user, { passwordErrors: { password: sentence(error.message) } }, 400);
      return;
    }
    if (typed !== null) {
      res.redirect(303, userPath(deps, user.id, '?done=password'));
      return;
    }
    // Shown in this answer only (admin pages are no-store); only its argon2 hash is kept.
    const updated = await userById(deps.store, user.id);
    await renderUserPage(deps, req, res, updated, { generatedPassword: password });
  };
}

/** POST /admin/users/:id/disable and /enable. Disabling ends the user's sessions, codes and tokens at once. */
export function setUserDisabled(deps: AdminDependencies, disabled: boolean) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    try {
      await setDisabled(manageContext(deps, res, req.ip), user.id, disabled);
    } catch (error) {
      if (!(error instanceof LastAdminError)) throw error;
      await renderUserPage(deps, req, res, user, { alert: sentence(error.message) }, 409);
      return;
    }
    // Disabling oneself ends one's own session too: this redirect then leads to the sign-in page.
    res.redirect(303, userPath(deps, user.id, `?done=${disabled ? 'disabled' : 'enabled'}`));
  };
}

/** POST /admin/users/:id/reset-second-factors (a recent sign-in): for a person who lost their authenticator. */
export function resetUserSecondFactors(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    await resetSecondFactors(manageContext(deps, res, req.ip), user.id);
    res.redirect(303, userPath(deps, user.id, '?done=second-factors-reset'));
  };
}

/** POST /admin/users/:id/sign-out-everywhere: every session and token, offline grants included. */
export function signOutUserEverywhere(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    await signOutEverywhere(manageContext(deps, res, req.ip), user.id);
    res.redirect(303, userPath(deps, user.id, '?done=signed-out'));
  };
}

/** POST /admin/users/:id/sessions/:sid/revoke: one session, which must be this user's (else 404). */
export function revokeUserSession(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const sid = req.params.sid;
    await revokeSession(manageContext(deps, res, req.ip), user.id, typeof sid === 'string' ? sid : '');
    res.redirect(303, userPath(deps, user.id, '?done=revoked'));
  };
}
