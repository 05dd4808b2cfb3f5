// The users screens (section 'users'): the list, a new user, one user's page with its forms, and deletion.
// The router has already checked admin access, parsed every POST's form and checked its CSRF token. Sensitive
// actions (granting admin, deleting a user, resetting second factors) need a recent sign-in.
import type { Router } from 'express';
import type { AdminDependencies } from './context.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { resetUserSecondFactors, revokeUserSession, setUserDisabled, setUserPassword, signOutUserEverywhere } from './user-actions.js';
import { createUserSubmit, newUserPage } from './user-create.js';
import { deleteUserPage, deleteUserSubmit } from './user-delete.js';
import { editUser, requireRecentSignInToGrantAdmin } from './user-edit.js';
import { ticks } from './user-forms.js';
import { listUsers } from './user-list.js';
import { showUser } from './user-page.js';

export function userRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/users', listUsers(deps));
  // Before '/users/:id', which would otherwise take "new" for an id.
  router.get('/users/new', newUserPage(deps));
  router.post('/users', requireRecentSignIn(deps, (req) => ticks(req, 'admin')), createUserSubmit(deps));
  router.get('/users/:id', showUser(deps));
  router.post('/users/:id', requireRecentSignInToGrantAdmin(deps), editUser(deps));
  router.post('/users/:id/password', setUserPassword(deps));
  router.post('/users/:id/disable', setUserDisabled(deps, true));
  router.post('/users/:id/enable', setUserDisabled(deps, false));
  router.post('/users/:id/sign-out-everywhere', signOutUserEverywhere(deps));
  // Sensitive: whoever holds a left-open admin session could otherwise strip someone's second factor.
  router.post('/users/:id/reset-second-factors', requireRecentSignIn(deps), resetUserSecondFactors(deps));
  router.post('/users/:id/sessions/:sid/revoke', revokeUserSession(deps));
  router.get('/users/:id/delete', deleteUserPage(deps));
  router.post('/users/:id/delete', requireRecentSignIn(deps), deleteUserSubmit(deps));
}
