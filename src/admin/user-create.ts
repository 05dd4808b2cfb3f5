// Creating a user from the admin screens: email, name, the admin flag (sensitive: a recent sign-in), and a
// password the administrator types or one Gatehouse generates, which is then shown once in the answer.
import type { Request, Response } from 'express';
import { generatePassword } from '../auth/generated-password.js';
import { ConflictError, ValidationError } from '../errors.js';
import { createUser } from '../manage/users.js';
import type { UserRecord } from '../store/records.js';
import { manageContext, type AdminDependencies } from './context.js';
import { formatTime, renderAdmin } from './render.js';
import { newUserErrors, newUserSchema, parseForm, sentence, type FieldErrors, type NewUserForm } from './user-forms.js';
import { userPath, usersPath } from './user-page.js';

/** What the form shows again after an error: everything but the password, which never goes back into a page. */
interface NewUserValues {
  email: string;
  name: string;
  admin: boolean;
  generate: boolean;
}

function renderForm(deps: AdminDependencies, res: Response, values: NewUserValues, errors: FieldErrors, status: number): void {
  renderAdmin(
    res,
    'users/new',
    {
      title: 'New user',
      section: 'users',
      action: usersPath(deps),
      cancel: usersPath(deps),
      passwordMinLength: deps.config.passwordMinLength,
      values,
      errors,
    },
    status,
  );
}

/** GET /admin/users/new */
export function newUserPage(deps: AdminDependencies) {
  return (_req: Request, res: Response): void => {
    renderForm(deps, res, { email: '', name: '', admin: false, generate: true }, {}, 200);
  };
}

/** POST /admin/users */
export function createUserSubmit(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form: NewUserForm = parseForm(newUserSchema, req);
    const values: NewUserValues = { email: form.email, name: form.name, admin: form.admin, generate: form.generate };
    const errors = newUserErrors(form, deps.config.passwordMinLength, deps.config.issuer);
    if (Object.keys(errors).length > 0) {
      renderForm(deps, res, values, errors, 400);
      return;
    }
    const email = form.email.trim();
    // newUserErrors checked the choice: either a typed password that meets the policy, or "generate".
    const generated = form.generate ? generatePassword({ email, minLength: deps.config.passwordMinLength }) : null;
    let user: UserRecord;
    try {
      user = await createUser(manageContext(deps, res, req.ip), { email, name: form.name, isAdmin: form.admin, password: generated ?? form.password });
    } catch (error) {
      if (error instanceof ConflictError) renderForm(deps, res, values, { email: sentence(error.message) }, 409);
      else if (error instanceof ValidationError) renderForm(deps, res, values, { [error.field]: sentence(error.message) }, 400);
      else throw error;
      return;
    }
    if (generated === null) {
      res.redirect(303, userPath(deps, user.id, '?done=created'));
      return;
    }
    // Shown in this answer only (admin pages are no-store): only its argon2 hash is kept, and nothing logs it.
    renderAdmin(res, 'users/created', {
      title: 'User created',
      section: 'users',
      user: { email: user.email, name: user.name, id: user.id, isAdmin: user.isAdmin, created: formatTime(user.createdAt) },
      userPath: userPath(deps, user.id),
      password: generated,
    });
  };
}
