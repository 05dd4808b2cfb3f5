// /api/v1/users: people's accounts (scope manage:users), on the rules of src/manage/users.ts that `idp user` and the
// admin screens use: the same checks (email, name, password policy and breached passwords), the same audit events,
// the same last-administrator rule, the same ending of sessions and tokens when an account is disabled or deleted.
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { createUser, deleteUser, findUser, signOutEverywhere, updateUser } from '../manage/users.js';
import type { UserRecord } from '../store/records.js';
import { defineOperation, type ApiOperation } from './operation.js';
import { pageOf, pageQuery, readPage } from './paging.js';
import { iso, patchOf, resourceId, timestamp } from './schemas.js';

const TAG = 'users';
const SCOPE = 'manage:users';

export const userSchema = z
  .strictObject({
    id: z.string().describe('The OpenID Connect `sub`: random, never reused.'),
    email: z.string(),
    name: z.string().nullable(),
    email_verified: z.boolean(),
    has_password: z.boolean().describe('False for an account made at a federated sign-in that has never had a password set.'),
    is_admin: z.boolean(),
    disabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ title: 'User' });

/** The public view of a user: never the password hash. */
export function userJson(user: UserRecord): z.input<typeof userSchema> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerified,
    has_password: user.hasPassword,
    is_admin: user.isAdmin,
    disabled: user.disabled,
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
}

const userParams = z.strictObject({ id: resourceId });

/** The manage rules name the admin flag `admin`; the API's field is `is_admin`. */
async function asApiFields<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ValidationError && error.field === 'admin') throw new ValidationError('is_admin', error.message);
    throw error;
  }
}

const listUsers = defineOperation({
  operationId: 'listUsers',
  method: 'get',
  path: '/users',
  scope: SCOPE,
  tag: TAG,
  summary: 'List users in email order',
  query: pageQuery.extend({ search: z.string().max(200).optional().describe('Only users whose email or name contains this (any case).') }),
  response: pageOf(userSchema),
  status: 200,
  paged: true,
  async handler({ deps, query }) {
    const page = await readPage(query, (options) => deps.store.users.list({ ...options, search: query.search ?? '' }));
    return { body: { items: page.items.map(userJson), next_cursor: page.next }, nextCursor: page.next };
  },
});

const createUserOperation = defineOperation({
  operationId: 'createUser',
  method: 'post',
  path: '/users',
  scope: SCOPE,
  tag: TAG,
  summary: 'Create a user',
  description: 'The password must meet the password policy (and not be a known breached password, when configured). A verification mail goes to the address.',
  body: z.strictObject({
    email: z.string().max(254),
    password: z.string().min(1).max(1024),
    name: z.string().max(200).optional(),
    is_admin: z.boolean().optional(),
  }),
  response: userSchema,
  status: 201,
  etag: true,
  async handler({ manage, body }) {
    const user = await createUser(manage, { email: body.email, password: body.password, name: body.name, isAdmin: body.is_admin ?? false });
    return { body: userJson(user), etag: user, location: `/users/${user.id}` };
  },
});

const getUser = defineOperation({
  operationId: 'getUser',
  method: 'get',
  path: '/users/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Read a user',
  params: userParams,
  response: userSchema,
  status: 200,
  etag: true,
  async handler({ deps, params }) {
    const user = await findUser(deps.store, params.id);
    return { body: userJson(user), etag: user };
  },
});

const updateUserOperation = defineOperation({
  operationId: 'updateUser',
  method: 'patch',
  path: '/users/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Change a user',
  description:
    'Absent fields keep their value; `name: null` (or "") removes the name. A new email ends the links mailed before it. ' +
    '`disabled: true` ends the user’s sessions and tokens at once. Nobody removes their own administrator access, and the last enabled administrator stays one (409).',
  params: userParams,
  body: patchOf({
    email: z.string().max(254),
    name: z.string().max(200).nullable(),
    email_verified: z.boolean(),
    is_admin: z.boolean(),
    disabled: z.boolean(),
  }),
  response: userSchema,
  status: 200,
  ifMatch: 'id',
  etag: true,
  async handler({ manage, params, body, expectedVersion }) {
    const changes = { email: body.email, name: body.name === null ? '' : body.name, emailVerified: body.email_verified, isAdmin: body.is_admin, disabled: body.disabled };
    const { user } = await asApiFields(updateUser(manage, params.id, changes, { expectedVersion: expectedVersion() }));
    return { body: userJson(user), etag: user };
  },
});

const deleteUserOperation = defineOperation({
  operationId: 'deleteUser',
  method: 'delete',
  path: '/users/{id}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Delete a user',
  description: 'Their sessions end (applications are told by back-channel logout), their tokens go, and their id is never given to anyone else.',
  params: userParams,
  status: 204,
  ifMatch: 'id',
  async handler({ manage, params, expectedVersion }) {
    await deleteUser(manage, params.id, { expectedVersion: expectedVersion() });
    return {};
  },
});

const revokeSessions = defineOperation({
  operationId: 'revokeUserSessions',
  method: 'post',
  path: '/users/{id}/sessions/revoke',
  scope: SCOPE,
  tag: TAG,
  summary: 'Sign a user out everywhere',
  description: 'Ends every session and revokes every token of the user, offline grants included (as "Sign out everywhere" in the admin screens).',
  params: userParams,
  response: z.strictObject({ revoked_sessions: z.number().int().min(0) }),
  status: 200,
  async handler({ manage, params }) {
    const { sessions } = await signOutEverywhere(manage, params.id);
    return { body: { revoked_sessions: sessions } };
  },
});

export const userOperations: readonly ApiOperation[] = [listUsers, createUserOperation, getUser, updateUserOperation, deleteUserOperation, revokeSessions];
