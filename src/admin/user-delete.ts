// Deleting a user: a confirmation page naming them, then a sensitive POST (a recent sign-in). Their sessions
// end with back-channel logout first; their id is retired for good, so a `sub` never names two people.
import type { Request, Response } from 'express';
import { LastAdminError } from '../errors.js';
import { deleteUser } from '../manage/users.js';
import type { UserRecord } from '../store/records.js';
import { adminOf, manageContext, type AdminDependencies } from './context.js';
import { renderAdmin } from './render.js';
import { sentence } from './user-forms.js';
import { userById, userPath, usersPath } from './user-page.js';

function renderConfirmation(deps: AdminDependencies, res: Response, user: UserRecord, alert: string | null, status: number): void {
  renderAdmin(
    res,
    'users/delete',
    {
      title: `Delete ${user.email}`,
      section: 'users',
      user: { email: user.email, name: user.name, isAdmin: user.isAdmin },
      isSelf: user.id === adminOf(res).user.id,
      action: userPath(deps, user.id, '/delete'),
      cancel: userPath(deps, user.id),
      alert,
    },
    status,
  );
}

/** GET /admin/users/:id/delete */
export function deleteUserPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    renderConfirmation(deps, res, await userById(deps.store, req.params.id), null, 200);
  };
}

/** POST /admin/users/:id/delete (behind requireRecentSignIn) */
export function deleteUserSubmit(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    try {
      await deleteUser(manageContext(deps, res, req.ip), user.id);
    } catch (error) {
      if (!(error instanceof LastAdminError)) throw error;
      renderConfirmation(deps, res, user, sentence(error.message), 409);
      return;
    }
    res.redirect(303, usersPath(deps, '?done=deleted'));
  };
}
