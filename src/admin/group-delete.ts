// Deleting a group: a confirmation page that names the applications whose rules name it (store.groups.usesOf),
// then a sensitive POST (a recent sign-in). Its memberships go with it, and so do the rules naming it: an
// application open only to its members then admits nobody (src/auth/access-rules.ts fails closed).
import type { Request, Response } from 'express';
import { deleteGroup } from '../manage/groups.js';
import { clientsPath } from './client-pages.js';
import { manageContext, type AdminDependencies } from './context.js';
import { groupById, groupPath, groupsPath, groupView } from './group-pages.js';
import { renderAdmin } from './render.js';

/** GET /admin/groups/:id/delete */
export function deleteGroupPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const group = await groupById(deps.store, req.params.id);
    const [uses, members] = await Promise.all([deps.store.groups.usesOf(group.id), deps.store.groups.countMembers(group.id)]);
    renderAdmin(res, 'groups/delete', {
      title: `Delete ${group.name}`,
      section: 'groups',
      group: groupView(deps, group),
      members,
      uses: uses.map((use) => ({
        name: use.name,
        clientId: use.clientId,
        path: clientsPath(deps, use.clientId),
        access: use.roles.includes('access'),
        claim: use.roles.includes('claim'),
      })),
      action: groupPath(deps, group.id, '/delete'),
      cancel: groupPath(deps, group.id),
    });
  };
}

/** POST /admin/groups/:id/delete (behind requireRecentSignIn) */
export function deleteGroupSubmit(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const group = await groupById(deps.store, req.params.id);
    await deleteGroup(manageContext(deps, res, req.ip), group.name);
    res.redirect(303, groupsPath(deps, '?done=deleted'));
  };
}
