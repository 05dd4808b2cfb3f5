// One user's page: their details and edit form, their live sessions with the applications each signed in to,
// the password and access forms, their groups and attribute values with their forms (issue 21: group-members.ts,
// attribute-values.ts), their linked sign-in providers with "Unlink" (issue 23: user-identities.ts), their connected
// apps with "Remove access" (issue 24: user-connected-apps.ts), and what the audit log says about them. Every answer
// about a user (the page itself, a form sent back with its errors, a generated password shown once) is rendered here.
import type { Request, Response } from 'express';
import { routes } from '../http/routes.js';
import { NotFoundError } from '../errors.js';
import type { ClientRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { definitionView, shownValue } from './attribute-forms.js';
import { eventRows } from './audit-view.js';
import { adminOf, type AdminDependencies } from './context.js';
import { attributesPath, groupsPath, memberGroupView, noticeIn, USER_PAGE_NOTICES } from './group-pages.js';
import { formatTime, renderAdmin } from './render.js';
import { IDENTITY_NOTICES, identityViews } from './user-identities.js';
import { CONNECTED_APP_NOTICES, connectedAppRows } from './user-connected-apps.js';
import { noticeOf, type FieldErrors } from './user-forms.js';

/** How many of the user's newest audit events the page shows. */
const RECENT_EVENTS = 10;

/** The user an admin URL names; the ids are random, so an unknown one is a plain 404. */
/** How a user reads in a list row or on their page: never the password hash. */
export function userView(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    isAdmin: user.isAdmin,
    disabled: user.disabled,
    emailVerified: user.emailVerified,
    // False for an account made at a first federated sign-in (issue 23): it has only an unusable random hash.
    hasPassword: user.hasPassword,
    created: formatTime(user.createdAt),
  };
}

export async function userById(store: Store, id: string | string[] | undefined): Promise<UserRecord> {
  const user = typeof id === 'string' && id !== '' ? await store.users.findById(id) : null;
  if (!user) throw new NotFoundError('There is no such user. They may have been deleted.');
  return user;
}

/** The admin paths of the users screens, under the issuer's base path. */
export function usersPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/users${suffix}`;
}

export function userPath(deps: AdminDependencies, userId: string, suffix = ''): string {
  return usersPath(deps, `/${encodeURIComponent(userId)}${suffix}`);
}

/** What the edit form shows: the user as stored, or what was posted when it comes back with errors. */
export interface EditValues {
  email: string;
  name: string;
  emailVerified: boolean;
  admin: boolean;
}

export interface UserPageState {
  values?: EditValues;
  errors?: FieldErrors;
  passwordErrors?: FieldErrors;
  /** A refusal that belongs to no one field (the last-admin rule). */
  alert?: string | null;
  /** A password Gatehouse just generated: shown in this answer only, never stored or logged in clear. */
  generatedPassword?: string | null;
  /** The group typed into "Add to a group", and its error (`group`). */
  groupValue?: string;
  groupErrors?: FieldErrors;
  /** Values typed into the attribute forms, and their errors, by attribute name. */
  attributeValues?: Record<string, string>;
  attributeErrors?: Record<string, string>;
}

/** What second factors the user has: an authenticator app (confirmed), recovery codes left, passkeys. */
async function secondFactorsOf(store: Store, userId: string) {
  const [totp, recoveryCodes, passkeys] = await Promise.all([store.totp.find(userId), store.recoveryCodes.countUnused(userId), store.passkeys.listForUser(userId)]);
  return { totp: totp?.confirmedAt != null, recoveryCodes, passkeys: passkeys.length };
}

/** The user's live sessions, each with the names of the applications that received tokens in it. */
async function sessionsOf(deps: AdminDependencies, res: Response, user: UserRecord) {
  const now = deps.clock.now();
  const current = adminOf(res).session.idHash;
  const sessions = await deps.store.sessions.listForUser(user.id, now);
  // One lookup per distinct client, however many sessions share it.
  const clients = new Map<string, Promise<ClientRecord | null>>();
  const clientName = async (clientId: string) => {
    if (!clients.has(clientId)) clients.set(clientId, deps.store.clients.findById(clientId));
    return (await clients.get(clientId))?.name ?? `${clientId} (deleted)`;
  };
  return Promise.all(
    sessions.map(async (session) => ({
      sid: session.sid,
      clients: await Promise.all((await deps.store.sessions.clientsOf(session.sid)).map(clientName)),
      signedIn: formatTime(session.authTime),
      lastSeen: formatTime(session.lastSeenAt),
      created: formatTime(session.createdAt),
      expires: formatTime(session.expiresAt),
      current: session.idHash === current,
      revokePath: userPath(deps, user.id, `/sessions/${encodeURIComponent(session.sid)}/revoke`),
    })),
  );
}

/**
 * The person's groups (one indexed query; a person is in tens of groups, not thousands), each with its remove
 * form, and every defined attribute with the person's value and its forms.
 */
async function groupsAndAttributesOf(deps: AdminDependencies, user: UserRecord, state: UserPageState) {
  const [groups, definitions, values] = await Promise.all([deps.store.groups.groupsOf(user.id), deps.store.attributes.list(), deps.store.attributes.valuesOf(user.id)]);
  return {
    groups: groups.map((group) => ({ ...memberGroupView(deps, group), removePath: userPath(deps, user.id, `/groups/${encodeURIComponent(group.id)}/remove`) })),
    groupValue: state.groupValue ?? '',
    groupErrors: state.groupErrors ?? {},
    attributes: definitions.map((definition) => ({
      ...definitionView(deps, definition),
      inputId: `attribute-${definition.name}`,
      hasValue: Object.hasOwn(values, definition.name),
      stored: Object.hasOwn(values, definition.name) ? shownValue(values[definition.name]) : null,
      value: state.attributeValues?.[definition.name] ?? shownValue(values[definition.name]),
      error: state.attributeErrors?.[definition.name] ?? null,
      setPath: userPath(deps, user.id, `/attributes/${encodeURIComponent(definition.name)}`),
      clearPath: userPath(deps, user.id, `/attributes/${encodeURIComponent(definition.name)}/clear`),
    })),
  };
}

export async function renderUserPage(deps: AdminDependencies, req: Request, res: Response, user: UserRecord, state: UserPageState = {}, status = 200): Promise<void> {
  const [sessions, events, secondFactors, membership, identities, connectedApps] = await Promise.all([
    sessionsOf(deps, res, user),
    deps.store.audit.list({ limit: RECENT_EVENTS, filter: { subject: user.id } }),
    secondFactorsOf(deps.store, user.id),
    groupsAndAttributesOf(deps, user, state),
    identityViews(deps, user),
    connectedAppRows(deps, user),
  ]);
  const path = (suffix: string) => userPath(deps, user.id, suffix);
  renderAdmin(
    res,
    'users/show',
    {
      title: user.email,
      section: 'users',
      user: { ...userView(user), updated: formatTime(user.updatedAt) },
      isSelf: user.id === adminOf(res).user.id,
      passwordMinLength: deps.config.passwordMinLength,
      paths: {
        list: usersPath(deps),
        edit: path(''),
        password: path('/password'),
        disable: path('/disable'),
        enable: path('/enable'),
        signOut: path('/sign-out-everywhere'),
        resetSecondFactors: path('/reset-second-factors'),
        delete: path('/delete'),
        audit: `${deps.config.basePath}${routes.admin}/audit?${new URLSearchParams({ subject: user.id }).toString()}`,
        addGroup: path('/groups'),
        groupSuggest: groupsPath(deps, '/suggest'),
        attributes: attributesPath(deps),
      },
      values: state.values ?? { email: user.email, name: user.name ?? '', emailVerified: user.emailVerified, admin: user.isAdmin },
      errors: state.errors ?? {},
      passwordErrors: state.passwordErrors ?? {},
      alert: state.alert ?? null,
      // A form sent back with errors is about that form, not about the change the query string reported.
      notice: status === 200 ? (noticeOf(req) ?? noticeIn(req, USER_PAGE_NOTICES) ?? noticeIn(req, IDENTITY_NOTICES) ?? noticeIn(req, CONNECTED_APP_NOTICES)) : null,
      generatedPassword: state.generatedPassword ?? null,
      sessions,
      secondFactors,
      identities,
      connectedApps,
      events: await eventRows(deps, events),
      ...membership,
    },
    status,
  );
}

/** GET /admin/users/:id */
export function showUser(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await renderUserPage(deps, req, res, await userById(deps.store, req.params.id));
  };
}
