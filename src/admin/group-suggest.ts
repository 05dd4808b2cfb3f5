// The autocomplete answers of the membership forms (public/admin-suggest.js fills a <datalist> from them):
// GET /admin/users/suggest?q= (people by email or name) and GET /admin/groups/suggest?q= (groups by name). Behind
// requireAdmin like every admin route (an anonymous request is sent to the login page, a non-admin gets a 403),
// never cached (requireAdmin's no-store), at most SUGGESTIONS matches: one indexed query however many there are.
// They only read, so they are GETs; they answer a JSON object (never a bare array) to the same origin only: a
// browser that says the request came from another site (Sec-Fetch-Site, Fetch Metadata) is refused, and the
// site-wide Cross-Origin-Resource-Policy: same-origin and nosniff keep the answer from other pages in any case.
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AdminOnly, ValidationError } from '../errors.js';
import type { AdminDependencies } from './context.js';
import { SUGGESTIONS } from './group-pages.js';

const querySchema = z.object({ q: z.string().max(254).default('') });

/** The typed text; an empty one suggests nothing (a suggestion list is no way to read everyone). */
function typedText(req: Request): string {
  const parsed = querySchema.safeParse(req.query);
  if (!parsed.success) throw new ValidationError('q', 'The text to complete is not valid.');
  return parsed.data.q.trim();
}

/**
 * Fetch Metadata (https://www.w3.org/TR/fetch-metadata/): `same-origin` from our script, `none` when a person
 * opens the address; anything else is another site's page asking with the administrator's cookies.
 */
export function sameOriginOnly(req: Request, _res: Response, next: NextFunction): void {
  const site = req.get('Sec-Fetch-Site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new AdminOnly('Suggestions are given to the admin pages of this site only.');
  next();
}

/** GET /admin/users/suggest?q= → {"users": [{"email", "name"}]} */
export function suggestUsers(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const q = typedText(req);
    const page = q === '' ? { items: [] } : await deps.store.users.list({ search: q, after: null, limit: SUGGESTIONS });
    res.json({ users: page.items.slice(0, SUGGESTIONS).map((user) => ({ email: user.email, name: user.name })) });
  };
}

/** GET /admin/groups/suggest?q= → {"groups": [{"name", "description"}]} */
export function suggestGroups(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const q = typedText(req);
    const page = q === '' ? { items: [] } : await deps.store.groups.list({ search: q, after: null, limit: SUGGESTIONS });
    res.json({ groups: page.items.slice(0, SUGGESTIONS).map((group) => ({ name: group.name, description: group.description })) });
  };
}
