// GET /admin/users: everyone, in email order, 50 to a page by keyset pagination (the store's `next` cursor),
// narrowed by a case-insensitive search of the email or name, and to the members of one group (`?group=` a name
// or an id, issue 21). One query per page, whatever the number of users or members: nothing is looked up per row.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { findGroup } from '../manage/groups.js';
import type { AdminDependencies } from './context.js';
import { groupPath } from './group-pages.js';
import { renderAdmin } from './render.js';
import { noticeOf } from './user-forms.js';
import { userPath, usersPath, userView } from './user-page.js';

export const USERS_PER_PAGE = 50;

const querySchema = z.object({
  q: z.string().max(254).default(''),
  after: z.string().max(2048).optional(),
  // A group's name (at most 64 characters) or id, as `idp group` takes it.
  group: z.string().max(254).default(''),
});

export function listUsers(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw new ValidationError('q', 'The search or page in the address is not valid.');
    const q = parsed.data.q.trim();
    const after = parsed.data.after || null;
    const groupText = parsed.data.group.trim();
    // An unknown group is a 404 page (findGroup's NotFoundError), never an empty list that looks like no members.
    const group = groupText ? await findGroup(deps.store, groupText) : null;
    // No total count: on PostgreSQL count(*) reads every row (about 15 ms at 100,000 users), which the page
    // cannot afford; the dashboard shows it.
    const page = await deps.store.users.list({ after, limit: USERS_PER_PAGE, search: q, ...(group ? { inGroup: group.id } : {}) });
    const withQuery = (params: Record<string, string>, keep: { q?: boolean; group?: boolean } = {}) => {
      const query = new URLSearchParams({ ...(q && keep.q !== false ? { q } : {}), ...(group && keep.group !== false ? { group: group.name } : {}), ...params }).toString();
      return query ? `${usersPath(deps)}?${query}` : usersPath(deps);
    };
    renderAdmin(res, 'users/list', {
      title: group ? `Users in ${group.name}` : 'Users',
      section: 'users',
      q,
      group: group ? { name: group.name, path: groupPath(deps, group.id), clear: withQuery({}, { group: false }) } : null,
      notice: noticeOf(req),
      newPath: usersPath(deps, '/new'),
      searchPath: usersPath(deps),
      // "Show everyone" of the search keeps the group, as the group's "remove" keeps the search.
      clearSearch: withQuery({}, { q: false }),
      users: page.items.map((user) => ({ ...userView(user), path: userPath(deps, user.id) })),
      firstPage: after ? withQuery({}) : null,
      nextPage: page.next ? withQuery({ after: page.next }) : null,
    });
  };
}
