// One group's page: its name, description and second-factor rule with their forms, its members (50 to a page by
// keyset pagination, searchable by email or name: users.list with inGroup, which reads only the group's members or the users in email order, never the whole table: src/store/sqlite/group-members.ts), the form that adds a
// member by email, and the applications whose rules name the group. Every answer about a group (the page, a form
// sent back with its errors) is rendered here.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { renameGroup, updateGroup } from '../manage/groups.js';
import type { GroupRecord } from '../store/records.js';
import { clientsPath } from './client-pages.js';
import { manageContext, type AdminDependencies } from './context.js';
import { groupSettingsSchema, refusalOf, renameSchema } from './group-forms.js';
import { groupById, groupPath, groupsPath, groupView, MEMBERS_PER_PAGE, noticeIn } from './group-pages.js';
import { renderAdmin } from './render.js';
import { parseForm, type FieldErrors } from './user-forms.js';
import { userPath, usersPath, userView } from './user-page.js';

const NOTICES: Record<string, string> = {
  created: 'The group was created. Add its members below.',
  saved: 'The changes were saved.',
  unchanged: 'Nothing changed.',
  renamed: 'The group was renamed. Applications see the new name in the groups claim from their next token.',
  added: 'The person was added to the group.',
  already: 'The person was already a member of the group.',
  removed: 'The person was removed from the group.',
};

const querySchema = z.object({
  q: z.string().max(254).default(''),
  after: z.string().max(2048).optional(),
});

/** What the page's forms show: the group as stored, or what was posted when a form comes back with errors. */
export interface GroupPageState {
  settings?: { description: string; requireMfa: boolean };
  rename?: string;
  member?: string;
  errors?: FieldErrors;
}

export async function renderGroupPage(deps: AdminDependencies, req: Request, res: Response, group: GroupRecord, state: GroupPageState = {}, status = 200): Promise<void> {
  const parsed = querySchema.safeParse(req.method === 'GET' ? req.query : {});
  if (!parsed.success) throw new ValidationError('q', 'The search or page in the address is not valid.');
  const q = parsed.data.q.trim();
  const after = parsed.data.after || null;
  const [members, uses] = await Promise.all([deps.store.users.list({ inGroup: group.id, search: q, after, limit: MEMBERS_PER_PAGE }), deps.store.groups.usesOf(group.id)]);
  const path = (suffix: string) => groupPath(deps, group.id, suffix);
  const withQuery = (params: Record<string, string>) => {
    const query = new URLSearchParams({ ...(q ? { q } : {}), ...params }).toString();
    return query ? `${path('')}?${query}` : path('');
  };
  renderAdmin(
    res,
    'groups/show',
    {
      title: group.name,
      section: 'groups',
      group: groupView(deps, group),
      notice: status === 200 ? noticeIn(req, NOTICES) : null,
      paths: {
        list: groupsPath(deps),
        settings: path(''),
        rename: path('/rename'),
        addMember: path('/members'),
        delete: path('/delete'),
        search: path(''),
        usersFiltered: `${usersPath(deps)}?${new URLSearchParams({ group: group.name }).toString()}`,
        suggest: usersPath(deps, '/suggest'),
      },
      q,
      members: members.items.map((user) => ({
        ...userView(user),
        path: userPath(deps, user.id),
        removePath: path(`/members/${encodeURIComponent(user.id)}/remove`),
      })),
      firstPage: after ? withQuery({}) : null,
      nextPage: members.next ? withQuery({ after: members.next }) : null,
      uses: uses.map((use) => ({ name: use.name, clientId: use.clientId, roles: use.roles, path: clientsPath(deps, use.clientId) })),
      settings: state.settings ?? { description: group.description, requireMfa: group.requireMfa },
      renameValue: state.rename ?? group.name,
      memberValue: state.member ?? '',
      errors: state.errors ?? {},
    },
    status,
  );
}

/** GET /admin/groups/:id */
export function showGroup(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await renderGroupPage(deps, req, res, await groupById(deps.store, req.params.id));
  };
}

/** POST /admin/groups/:id: the description and the second-factor rule (the rule is sensitive: groups.ts). */
export function updateGroupSettings(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const group = await groupById(deps.store, req.params.id);
    const form = parseForm(groupSettingsSchema, req);
    const settings = { description: form.description, requireMfa: form.require_mfa };
    if (settings.description.trim() === group.description && settings.requireMfa === group.requireMfa) {
      res.redirect(303, groupPath(deps, group.id, '?done=unchanged'));
      return;
    }
    try {
      await updateGroup(manageContext(deps, res, req.ip), group.name, settings);
      res.redirect(303, groupPath(deps, group.id, '?done=saved'));
    } catch (error) {
      const refusal = refusalOf(error, 'description');
      if (!refusal) throw error;
      await renderGroupPage(deps, req, res, group, { settings, errors: refusal.errors }, refusal.status);
    }
  };
}

/** POST /admin/groups/:id/rename (sensitive: the name is what the groups claim carries). */
export function renameGroupSubmit(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const group = await groupById(deps.store, req.params.id);
    const form = parseForm(renameSchema, req);
    if (form.name === group.name) {
      res.redirect(303, groupPath(deps, group.id, '?done=unchanged'));
      return;
    }
    try {
      await renameGroup(manageContext(deps, res, req.ip), group.name, form.name);
      res.redirect(303, groupPath(deps, group.id, '?done=renamed'));
    } catch (error) {
      const refusal = refusalOf(error, 'rename');
      if (!refusal) throw error;
      // The rename form's field is `name`; its errors show under the rename form's input.
      const errors = refusal.errors.name !== undefined ? { rename: refusal.errors.name } : refusal.errors;
      await renderGroupPage(deps, req, res, group, { rename: form.name, errors }, refusal.status);
    }
  };
}
