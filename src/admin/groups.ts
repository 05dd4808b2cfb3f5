// The groups screens (section 'groups', issue 21): the list with its search and "New group" form, one group's page
// with its forms and members, deletion, and the autocomplete of group names. The router has already checked admin
// access, parsed every POST's form and checked its CSRF token. Every change goes through src/manage/groups.ts.
//
// Sensitive (a recent sign-in, recent-sign-in.ts), as the users and clients screens decide: whatever changes what an
// application is told about a person or who may sign in to it, or loosens a second-factor rule:
//   - adding a member (membership opens the applications restricted to the group, and the groups claim is what
//     applications grant roles by), renaming a group (the claim carries the name, and a prefix rule matches it),
//     changing its second-factor rule (as a client's), deleting it;
//   - removing a member from a group that requires a second factor (it may lift the requirement from them).
// Not sensitive: creating a group (no members, named by no application: it grants nothing), its description, and
// removing a member from any other group (it takes access away, like disabling a user).
import type { Request, Router } from 'express';
import type { AdminDependencies } from './context.js';
import { deleteGroupPage, deleteGroupSubmit } from './group-delete.js';
import { createGroupSubmit, listGroups } from './group-list.js';
import { addGroupMember, addUserToGroup, removeGroupMember, removeUserFromGroup } from './group-members.js';
import { groupById } from './group-pages.js';
import { renameGroupSubmit, showGroup, updateGroupSettings } from './group-page.js';
import { sameOriginOnly, suggestGroups } from './group-suggest.js';
import { ticks } from './user-forms.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { userById } from './user-page.js';

/** Always sensitive, once the group is known: an unknown id is a 404 before any password is asked for. */
function knownGroup(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await groupById(deps.store, req.params.id);
    return true;
  };
}

/** The settings form is sensitive when it turns the second-factor rule on or off. */
function changesTheMfaRule(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    const group = await groupById(deps.store, req.params.id);
    return ticks(req, 'require_mfa') !== group.requireMfa;
  };
}

/** Taking a person out of `groupId`'s group is sensitive when that group requires a second factor. */
function leavesAnMfaGroup(deps: AdminDependencies, param: 'id' | 'groupId', userParam: 'id' | 'userId') {
  return async (req: Request): Promise<boolean> => {
    const group = await groupById(deps.store, req.params[param]);
    await userById(deps.store, req.params[userParam]);
    return group.requireMfa;
  };
}

/** Adding the person on the user page: always sensitive, once the person is known. */
function knownUser(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await userById(deps.store, req.params.id);
    return true;
  };
}

export function groupRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/groups', listGroups(deps));
  router.post('/groups', createGroupSubmit(deps));
  // Before '/groups/:id', which would otherwise take "suggest" for an id.
  router.get('/groups/suggest', sameOriginOnly, suggestGroups(deps));
  router.get('/groups/:id', showGroup(deps));
  router.post('/groups/:id', requireRecentSignIn(deps, changesTheMfaRule(deps)), updateGroupSettings(deps));
  router.post('/groups/:id/rename', requireRecentSignIn(deps, knownGroup(deps)), renameGroupSubmit(deps));
  router.post('/groups/:id/members', requireRecentSignIn(deps, knownGroup(deps)), addGroupMember(deps));
  router.post('/groups/:id/members/:userId/remove', requireRecentSignIn(deps, leavesAnMfaGroup(deps, 'id', 'userId')), removeGroupMember(deps));
  router.get('/groups/:id/delete', deleteGroupPage(deps));
  router.post('/groups/:id/delete', requireRecentSignIn(deps, knownGroup(deps)), deleteGroupSubmit(deps));
  // The person's groups, on their page.
  router.post('/users/:id/groups', requireRecentSignIn(deps, knownUser(deps)), addUserToGroup(deps));
  router.post('/users/:id/groups/:groupId/remove', requireRecentSignIn(deps, leavesAnMfaGroup(deps, 'groupId', 'id')), removeUserFromGroup(deps));
}
