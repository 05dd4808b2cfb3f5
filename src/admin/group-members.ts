// Membership, from either side: on the group page (add a person by email, remove one per row) and on the user page
// (add the person to a group by name, remove them from one). Each goes through src/manage/groups.ts, which audits
// group.member_added / group.member_removed as this administrator from this address, like `idp group add|remove`.
// A group read from a URL (by id) is handed on by its name: findGroup reads a name first, and names are unique,
// while an id could also be some other group's name.
import type { Request, Response } from 'express';
import { ValidationError } from '../errors.js';
import { addMember, removeMember } from '../manage/groups.js';
import { manageContext, type AdminDependencies } from './context.js';
import { memberSchema, refusalOf, userGroupSchema } from './group-forms.js';
import { groupById, groupPath } from './group-pages.js';
import { renderGroupPage } from './group-page.js';
import { parseForm } from './user-forms.js';
import { renderUserPage, userById, userPath } from './user-page.js';

/** POST /admin/groups/:id/members: the person typed (an email, or an id as the command line takes). */
export function addGroupMember(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const group = await groupById(deps.store, req.params.id);
    const form = parseForm(memberSchema, req);
    const typed = form.email.trim();
    try {
      if (typed === '') throw new ValidationError('email', 'Enter the email address of the person to add.');
      const { added } = await addMember(manageContext(deps, res, req.ip), group.name, typed);
      res.redirect(303, groupPath(deps, group.id, `?done=${added ? 'added' : 'already'}`));
    } catch (error) {
      const refusal = refusalOf(error, 'email');
      if (!refusal) throw error;
      const errors = refusal.errors.email !== undefined ? { member: refusal.errors.email } : { member: Object.values(refusal.errors)[0] ?? '' };
      await renderGroupPage(deps, req, res, group, { member: form.email, errors }, refusal.status);
    }
  };
}

/** POST /admin/groups/:id/members/:userId/remove */
export function removeGroupMember(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const group = await groupById(deps.store, req.params.id);
    const user = await userById(deps.store, req.params.userId);
    await removeMember(manageContext(deps, res, req.ip), group.name, user.id);
    res.redirect(303, groupPath(deps, group.id, '?done=removed'));
  };
}

/** POST /admin/users/:id/groups: the group typed by name (or id), from the datalist or by hand. */
export function addUserToGroup(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const form = parseForm(userGroupSchema, req);
    const typed = form.group.trim();
    try {
      if (typed === '') throw new ValidationError('group', 'Enter the name of a group.');
      const { added } = await addMember(manageContext(deps, res, req.ip), typed, user.id);
      res.redirect(303, userPath(deps, user.id, `?done=${added ? 'group-added' : 'group-already'}`));
    } catch (error) {
      const refusal = refusalOf(error, 'group');
      if (!refusal) throw error;
      const message = refusal.errors.group ?? Object.values(refusal.errors)[0] ?? '';
      await renderUserPage(deps, req, res, user, { groupValue: form.group, groupErrors: { group: message } }, refusal.status);
    }
  };
}

/** POST /admin/users/:id/groups/:groupId/remove */
export function removeUserFromGroup(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const group = await groupById(deps.store, req.params.groupId);
    await removeMember(manageContext(deps, res, req.ip), group.name, user.id);
    res.redirect(303, userPath(deps, user.id, '?done=group-removed'));
  };
}
