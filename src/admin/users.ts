// The users screens (section 'users'): the list, a new user, one user's page with its forms, and deletion. The
// forms of a person's groups and attribute values on their page are registered with the groups and attributes
// screens (groups.ts, attributes.ts).
// The router has already checked admin access, parsed every POST's form and checked its CSRF token. Sensitive
// actions (setting a password, changing an email, granting admin, resetting second factors, deleting a user)
// need a recent sign-in (recent-sign-in.ts).
import type { Request, Router } from 'express';
import type { AdminDependencies } from './context.js';
import { sameOriginOnly, suggestUsers } from './group-suggest.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { resetUserSecondFactors, revokeUserSession, setUserDisabled, setUserPassword, signOutUserEverywhere } from './user-actions.js';
import { createUserSubmit, newUserPage } from './user-create.js';
import { deleteUserPage, deleteUserSubmit } from './user-delete.js';
import { editUser, requireRecentSignInForSensitiveEdit } from './user-edit.js';
import { ticks } from './user-forms.js';
import { listUsers } from './user-list.js';
import { showUser, userById } from './user-page.js';

/** Always sensitive; the user is read first, so that an unknown id is a 404 before any password is asked for. */
function knownUser(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await userById(deps.store, req.params.id);
    return true;
  };
}

export function userRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/users', listUsers(deps));
  // Before '/users/:id', which would otherwise take "new" for an id.
  router.get('/users/new', newUserPage(deps));
  // The autocomplete of the membership forms (group-suggest.ts); before '/users/:id' too.
  router.get('/users/suggest', sameOriginOnly, suggestUsers(deps));
  router.post(
    '/users',
    requireRecentSignIn(deps, (req) => ticks(req, 'admin'), { retypeLabel: 'The new user’s password, once more' }),
    createUserSubmit(deps),
  );
  router.get('/users/:id', showUser(deps));
  router.post('/users/:id', requireRecentSignInForSensitiveEdit(deps), editUser(deps));
  // Whoever sets the password can sign in as the user (another administrator too): always sensitive.
  router.post('/users/:id/password', requireRecentSignIn(deps, knownUser(deps), { retypeLabel: 'Their new password, once more' }), setUserPassword(deps));
  router.post('/users/:id/disable', setUserDisabled(deps, true));
  router.post('/users/:id/enable', setUserDisabled(deps, false));
  router.post('/users/:id/sign-out-everywhere', signOutUserEverywhere(deps));
  // Sensitive: whoever holds a left-open admin session could otherwise strip someone's second factor.
  router.post('/users/:id/reset-second-factors', requireRecentSignIn(deps), resetUserSecondFactors(deps));
  router.post('/users/:id/sessions/:sid/revoke', revokeUserSession(deps));
  router.get('/users/:id/delete', deleteUserPage(deps));
  router.post('/users/:id/delete', requireRecentSignIn(deps), deleteUserSubmit(deps));
}
