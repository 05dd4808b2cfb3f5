// GET /admin/groups: every group in name order with its member count, 50 to a page by keyset pagination, narrowed
// by a case-insensitive search of the name; the "New group" form below it. POST /admin/groups creates one through
// src/manage/groups.ts (the rules and the audit event `idp group create` uses). One query per page: the store
// counts the members of the page's groups itself.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { createGroup } from '../manage/groups.js';
import { manageContext, type AdminDependencies } from './context.js';
import { newGroupErrors, newGroupSchema, refusalOf } from './group-forms.js';
import { groupPath, groupsPath, groupView, GROUPS_PER_PAGE, noticeIn } from './group-pages.js';
import { renderAdmin } from './render.js';
import { parseForm, type FieldErrors } from './user-forms.js';

const querySchema = z.object({
  q: z.string().max(64).default(''),
  after: z.string().max(2048).optional(),
});

const NOTICES: Record<string, string> = {
  deleted: 'The group was deleted, with its memberships. The applications that named it no longer do.',
};

interface NewGroupValues {
  name: string;
  description: string;
  requireMfa: boolean;
}

const EMPTY: NewGroupValues = { name: '', description: '', requireMfa: false };

async function renderList(deps: AdminDependencies, req: Request, res: Response, form: { values: NewGroupValues; errors: FieldErrors }, status = 200): Promise<void> {
  const parsed = querySchema.safeParse(req.query);
  if (!parsed.success) throw new ValidationError('q', 'The search or page in the address is not valid.');
  const q = parsed.data.q.trim();
  const after = parsed.data.after || null;
  const page = await deps.store.groups.list({ after, limit: GROUPS_PER_PAGE, search: q });
  const withQuery = (params: Record<string, string>) => {
    const query = new URLSearchParams({ ...(q ? { q } : {}), ...params }).toString();
    return query ? `${groupsPath(deps)}?${query}` : groupsPath(deps);
  };
  renderAdmin(
    res,
    'groups/list',
    {
      title: 'Groups',
      section: 'groups',
      q,
      notice: status === 200 ? noticeIn(req, NOTICES) : null,
      searchPath: groupsPath(deps),
      createPath: groupsPath(deps),
      groups: page.items.map((group) => groupView(deps, group)),
      firstPage: after ? withQuery({}) : null,
      nextPage: page.next ? withQuery({ after: page.next }) : null,
      values: form.values,
      errors: form.errors,
    },
    status,
  );
}

/** GET /admin/groups */
export function listGroups(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await renderList(deps, req, res, { values: EMPTY, errors: {} });
  };
}

/** POST /admin/groups: a new group has no members and names no application, so it grants nothing (no password). */
export function createGroupSubmit(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = parseForm(newGroupSchema, req);
    const values: NewGroupValues = { name: form.name, description: form.description, requireMfa: form.require_mfa };
    const errors = newGroupErrors(form);
    if (Object.keys(errors).length > 0) {
      await renderList(deps, req, res, { values, errors }, 400);
      return;
    }
    try {
      const group = await createGroup(manageContext(deps, res, req.ip), { name: form.name, description: form.description, requireMfa: form.require_mfa });
      res.redirect(303, groupPath(deps, group.id, '?done=created'));
    } catch (error) {
      const refusal = refusalOf(error, 'name');
      if (!refusal) throw error;
      await renderList(deps, req, res, { values, errors: refusal.errors }, refusal.status);
    }
  };
}
