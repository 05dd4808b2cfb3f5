// What the groups and attributes screens (issue 21) share: their paths under the issuer's base path, plain view
// models of groups, the one-word outcomes (`?done=…`) a redirect after a change carries, and rendering in the
// admin layout with their own navigation section.
import type { Request } from 'express';
import { routes } from '../http/routes.js';
import { NotFoundError } from '../errors.js';
import type { GroupRecord, GroupSummary, MemberGroup } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

/** Enough for a screen; more are a link away (keyset pagination). */
export const GROUPS_PER_PAGE = 50;
export const MEMBERS_PER_PAGE = 50;
/** The most an autocomplete answer lists: a suggestion, not a search result. */
export const SUGGESTIONS = 10;

export function groupsPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/groups${suffix}`;
}

export function groupPath(deps: AdminDependencies, groupId: string, suffix = ''): string {
  return groupsPath(deps, `/${encodeURIComponent(groupId)}${suffix}`);
}

export function attributesPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/attributes${suffix}`;
}

export function attributePath(deps: AdminDependencies, name: string, suffix = ''): string {
  return attributesPath(deps, `/${encodeURIComponent(name)}${suffix}`);
}

/** The group an admin URL names, by its id only: a name could be another group's id (both use the same letters). */
export async function groupById(store: Store, id: string | string[] | undefined): Promise<GroupRecord> {
  const group = typeof id === 'string' && id !== '' ? await store.groups.findById(id) : null;
  if (!group) throw new NotFoundError('There is no such group. It may have been deleted.');
  return group;
}

export function groupView(deps: AdminDependencies, group: GroupRecord | GroupSummary) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    requireMfa: group.requireMfa,
    memberCount: 'memberCount' in group ? group.memberCount : null,
    created: formatTime(group.createdAt),
    updated: formatTime(group.updatedAt),
    path: groupPath(deps, group.id),
  };
}

export function memberGroupView(deps: AdminDependencies, group: MemberGroup) {
  return { id: group.id, name: group.name, requireMfa: group.requireMfa, path: groupPath(deps, group.id) };
}

/** The notice for `?done=<word>`; an unknown word (a hand-edited URL) shows nothing rather than arbitrary text. */
export function noticeIn(req: Request, notices: Record<string, string>): string | null {
  const done = req.query.done;
  return typeof done === 'string' && Object.hasOwn(notices, done) ? (notices[done] ?? null) : null;
}

/** What the user page says after a change to the person's groups or attributes (user-forms.ts has the others). */
export const USER_PAGE_NOTICES: Record<string, string> = {
  'group-added': 'The user was added to the group.',
  'group-already': 'The user was already a member of the group.',
  'group-removed': 'The user was removed from the group.',
  'attribute-set': 'The attribute value was saved.',
  'attribute-cleared': 'The attribute value was cleared.',
};
