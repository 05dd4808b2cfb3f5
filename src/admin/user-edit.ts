// POST /admin/users/:id: the edit form (name, email, email verified, admin flag). Granting admin and changing the
// email are sensitive (a recent sign-in): the email is where reset links go, so whoever sets it can take the
// account. Removing one's own flag is refused, and so is removing the last enabled admin's.
import type { Request, Response } from 'express';
import { ConflictError, LastAdminError, ValidationError } from '../errors.js';
import { checkEmail, updateUser } from '../manage/users.js';
import { manageContext, type AdminDependencies } from './context.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { editErrors, editSchema, parseForm, sentence, ticks } from './user-forms.js';
import { renderUserPage, userById, userPath } from './user-page.js';

/** The email the edit form posts, as updateUser would store it; null when it is not one (the edit is refused). */
function postedEmail(req: Request): string | null {
  const email = (req.body as Record<string, unknown> | undefined)?.email;
  if (typeof email !== 'string') return null;
  try {
    return checkEmail(email);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/**
 * requireRecentSignIn for an edit that grants admin or changes the email (compared as updateUser compares it):
 * whether it does depends on the stored user, so the user is read first (an unknown id is a 404 before any
 * password is asked for). A name-only edit, or one the rules refuse anyway, needs no password.
 */
export function requireRecentSignInForSensitiveEdit(deps: AdminDependencies) {
  return requireRecentSignIn(deps, async (req) => {
    const user = await userById(deps.store, req.params.id);
    const grants = ticks(req, 'admin') && !user.isAdmin;
    const email = postedEmail(req);
    return grants || (email !== null && email !== user.email);
  });
}

export function editUser(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const form = parseForm(editSchema, req);
    const values = { email: form.email, name: form.name, emailVerified: form.email_verified, admin: form.admin };
    const errors = editErrors(form);
    if (Object.keys(errors).length > 0) {
      await renderUserPage(deps, req, res, user, { values, errors }, 400);
      return;
    }
    try {
      const { changed } = await updateUser(manageContext(deps, res, req.ip), user.id, { email: form.email, name: form.name, emailVerified: form.email_verified, isAdmin: form.admin });
      res.redirect(303, userPath(deps, user.id, `?done=${changed.length > 0 ? 'saved' : 'unchanged'}`));
    } catch (error) {
      if (error instanceof LastAdminError) {
        await renderUserPage(deps, req, res, user, { values, alert: sentence(error.message) }, 409);
      } else if (error instanceof ConflictError) {
        await renderUserPage(deps, req, res, user, { values, errors: { email: sentence(error.message) } }, 409);
      } else if (error instanceof ValidationError) {
        await renderUserPage(deps, req, res, user, { values, errors: { [error.field]: sentence(error.message) } }, 400);
      } else {
        throw error;
      }
    }
  };
}
