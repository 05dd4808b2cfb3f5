// GET /admin/users: everyone, in email order, 50 to a page by keyset pagination (the store's `next` cursor),
// narrowed by a case-insensitive search of the email or name. One query per page, whatever the number of
// users: nothing is looked up per row.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { AdminDependencies } from './context.js';
import { renderAdmin } from './render.js';
import { noticeOf } from './user-forms.js';
import { userPath, usersPath, userView } from './user-page.js';

export const USERS_PER_PAGE = 50;

const querySchema = z.object({
  q: z.string().max(254).default(''),
  after: z.string().max(2048).optional(),
});

export function listUsers(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw new ValidationError('q', 'The search or page in the address is not valid.');
    const q = parsed.data.q.trim();
    const after = parsed.data.after || null;
    // No total count: on PostgreSQL count(*) reads every row (about 15 ms at 100,000 users), which the page
    // cannot afford; the dashboard shows it.
    const page = await deps.store.users.list({ after, limit: USERS_PER_PAGE, search: q });
    const withQuery = (params: Record<string, string>) => {
      const query = new URLSearchParams({ ...(q ? { q } : {}), ...params }).toString();
      return query ? `${usersPath(deps)}?${query}` : usersPath(deps);
    };
    renderAdmin(res, 'users/list', {
      title: 'Users',
      section: 'users',
      q,
      notice: noticeOf(req),
      newPath: usersPath(deps, '/new'),
      searchPath: usersPath(deps),
      users: page.items.map((user) => ({ ...userView(user), path: userPath(deps, user.id) })),
      firstPage: after ? withQuery({}) : null,
      nextPage: page.next ? withQuery({ after: page.next }) : null,
    });
  };
}
