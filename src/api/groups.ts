// /api/v1/groups: groups of people and their members (scope manage:groups), on the rules of src/manage/groups.ts
// that `idp group` and the admin screens use. Paths name a group by its id only (never by name). Membership is a
// resource of its own (PUT and DELETE /groups/{id}/members/{user_id}): it needs no If-Match and leaves the group's
// ETag alone, since adding a person twice or removing them twice comes to the same.
import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import { addMember, createGroup, deleteGroup, findGroup, removeMember, updateGroup } from '../manage/groups.js';
import type { GroupRecord, UserRecord } from '../store/records.js';
import { defineOperation, type ApiOperation } from './operation.js';
import { pageOf, pageQuery, readPage } from './paging.js';
import { iso, patchOf, resourceId, timestamp } from './schemas.js';

const TAG = 'groups';
const SCOPE = 'manage:groups';

const NAME_RULE = '1 to 64 letters, digits, dots, underscores or hyphens; unique without regard to case.';

export const groupSchema = z
  .strictObject({
    id: z.string(),
    name: z.string().describe(NAME_RULE),
    description: z.string(),
    require_mfa: z.boolean().describe('Every member passes a second factor at every sign-in.'),
    member_count: z.number().int().min(0),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ title: 'Group' });

export function groupJson(group: GroupRecord, memberCount: number): z.input<typeof groupSchema> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    require_mfa: group.requireMfa,
    member_count: memberCount,
    created_at: iso(group.createdAt),
    updated_at: iso(group.updatedAt),
  };
}

const memberSchema = z.strictObject({ id: z.string(), email: z.string(), name: z.string().nullable(), disabled: z.boolean() }).meta({ title: 'Member' });
const memberJson = (user: UserRecord): z.input<typeof memberSchema> => ({ id: user.id, email: user.email, name: user.name, disabled: user.disabled });

const groupParams = z.strictObject({ id: resourceId });
const memberParams = z.strictObject({ id: resourceId, user_id: resourceId });

const listGroups = defineOperation({
  operationId: 'listGroups',
  method: 'get',
  path: '/groups',
  scope: SCOPE,
  tag: TAG,
  summary: 'List groups in name order (any case), with their member counts',
  query: pageQuery.extend({ search: z.string().max(64).optional().describe('Only groups whose name contains this (any case).') }),
  response: pageOf(groupSchema),
  status: 200,
  paged: true,
  async handler({ deps, query }) {
    const page = await readPage(query, (options) => deps.store.groups.list({ ...options, search: query.search ?? '' }));
    return { body: { items: page.items.map((group) => groupJson(group, group.memberCount)), next_cursor: page.next }, nextCursor: page.next };
  },
});

const createGroupOperation = defineOperation({
  operationId: 'createGroup',
  method: 'post',
  path: '/groups',
  scope: SCOPE,
  tag: TAG,
  summary: 'Create a group',
  body: z.strictObject({
    name: z.string().max(200).describe(NAME_RULE),
    description: z.string().max(1000).optional(),
    require_mfa: z.boolean().optional(),
  }),
  response: groupSchema,
  status: 201,
  etag: true,
  async handler({ manage, body }) {
    const group = await createGroup(manage, { name: body.name, description: body.description, requireMfa: body.require_mfa });
    return { body: groupJson(group, 0), etag: group, location: `/groups/${group.id}` };
  },
});

const getGroup = defineOperation({
  operationId: 'getGroup',
  method: 'get',
  path: '/groups/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Read a group',
  params: groupParams,
  response: groupSchema,
  status: 200,
  etag: true,
  async handler({ deps, params }) {
    const group = await findGroup(deps.store, { id: params.id });
    return { body: groupJson(group, await deps.store.groups.countMembers(group.id)), etag: group };
  },
});

const updateGroupOperation = defineOperation({
  operationId: 'updateGroup',
  method: 'patch',
  path: '/groups/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Rename a group or change its description or second-factor rule',
  description: 'Absent fields keep their value. Applications and memberships name the group by id: a rename changes only the name the `groups` claim gives.',
  params: groupParams,
  body: patchOf({ name: z.string().max(200).describe(NAME_RULE), description: z.string().max(1000), require_mfa: z.boolean() }),
  response: groupSchema,
  status: 200,
  ifMatch: 'id',
  etag: true,
  async handler({ deps, manage, params, body, expectedVersion }) {
    const group = await updateGroup(manage, { id: params.id }, { name: body.name, description: body.description, requireMfa: body.require_mfa }, { expectedVersion: expectedVersion() });
    return { body: groupJson(group, await deps.store.groups.countMembers(group.id)), etag: group };
  },
});

const deleteGroupOperation = defineOperation({
  operationId: 'deleteGroup',
  method: 'delete',
  path: '/groups/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Delete a group',
  description: 'Its memberships go with it, and so do the application rules naming it: an application open only to its members then admits nobody.',
  params: groupParams,
  status: 204,
  ifMatch: 'id',
  async handler({ manage, params, expectedVersion }) {
    await deleteGroup(manage, { id: params.id }, { expectedVersion: expectedVersion() });
    return {};
  },
});

const listMembers = defineOperation({
  operationId: 'listGroupMembers',
  method: 'get',
  path: '/groups/{id}/members',
  scope: SCOPE,
  tag: TAG,
  summary: 'List a group’s members in email order',
  params: groupParams,
  query: pageQuery,
  response: pageOf(memberSchema),
  status: 200,
  paged: true,
  async handler({ deps, params, query }) {
    const group = await findGroup(deps.store, { id: params.id });
    const page = await readPage(query, (options) => deps.store.users.list({ ...options, inGroup: group.id }));
    return { body: { items: page.items.map(memberJson), next_cursor: page.next }, nextCursor: page.next };
  },
});

const addMemberOperation = defineOperation({
  operationId: 'addGroupMember',
  method: 'put',
  path: '/groups/{id}/members/{user_id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Put a user in a group (nothing changes if they are in it already)',
  params: memberParams,
  status: 204,
  async handler({ manage, params }) {
    await addMember(manage, { id: params.id }, params.user_id);
    return {};
  },
});

const removeMemberOperation = defineOperation({
  operationId: 'removeGroupMember',
  method: 'delete',
  path: '/groups/{id}/members/{user_id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Take a user out of a group',
  description: 'Their next sign-in, or token refresh, at an application open only to the group is refused. 404 when they were not a member.',
  params: memberParams,
  status: 204,
  async handler({ manage, params }) {
    const { removed } = await removeMember(manage, { id: params.id }, params.user_id);
    if (!removed) throw new NotFoundError('the user is not a member of this group');
    return {};
  },
});

export const groupOperations: readonly ApiOperation[] = [
  listGroups,
  createGroupOperation,
  getGroup,
  updateGroupOperation,
  deleteGroupOperation,
  listMembers,
  addMemberOperation,
  removeMemberOperation,
];
