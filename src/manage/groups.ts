// Groups of people (issue 21): the rules shared by the `idp` tool and the admin screens (src/admin/group*.ts).
// Every change is checked before anything is written, and audited with the actor, the group and the member.
// Applications refer to a group by its id (src/store/records.ts ClientRecord.accessGroups); people and scripts
// name it, so every function here takes a name (compared case-insensitively) or an id.
import { randomId } from '../auth/secrets.js';
import { ConflictError, NotFoundError, PreconditionFailed, ValidationError } from '../errors.js';
import type { GroupPatch, GroupRecord, GroupUse, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { audit, findUser, onlyIfVersion, type ManageContext, type VersionCondition } from './users.js';

/**
 * Letters, digits, dot, underscore and hyphen: safe in a token claim, a URL path, a shell word and a
 * comma-separated list, and unambiguous when compared case-insensitively.
 */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_DESCRIPTION_LENGTH = 500;

const GROUP_NAME_RULE = 'a group name is 1 to 64 letters (A-Z, a-z), digits, dots, underscores or hyphens';

/** The name as it will be stored (surrounding whitespace dropped), or a ValidationError('name', …). */
export function checkGroupName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError('name', 'the group needs a name');
  if (!GROUP_NAME_PATTERN.test(trimmed)) throw new ValidationError('name', `${JSON.stringify(trimmed.slice(0, 80))} is not a valid group name: ${GROUP_NAME_RULE}`);
  return trimmed;
}

/** The description as it will be stored (trimmed; may be empty), or a ValidationError('description', …). */
export function checkGroupDescription(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length > MAX_DESCRIPTION_LENGTH) throw new ValidationError('description', `the description must be at most ${MAX_DESCRIPTION_LENGTH} characters long`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ValidationError('description', 'the description must not contain control characters');
  return trimmed;
}

const notFound = (nameOrId: GroupRef) => new NotFoundError(`no group ${JSON.stringify(typeof nameOrId === 'string' ? nameOrId : nameOrId.id)}`);
const stale = (group: GroupRecord) => new PreconditionFailed(`the group ${group.name} has changed since it was read: read it again`);

/**
 * A group as people name it (its name, or its id), or exactly by id (`{ id }`: the management API, whose paths carry
 * ids: an id is never taken for another group's name).
 */
export type GroupRef = string | { id: string };

/** PreconditionFailed when the group is not at the version the caller read. */
function checkVersion(group: GroupRecord, condition: VersionCondition): void {
  if (condition.expectedVersion !== undefined && group.version !== condition.expectedVersion) throw stale(group);
}

/** Why a conditional write of the group wrote nothing: another change came first (412), or it is gone (404). */
async function notWritten(store: Store, group: GroupRecord, nameOrId: GroupRef): Promise<Error> {
  const now = await store.groups.findById(group.id);
  return now ? stale(now) : notFound(nameOrId);
}
const taken = (name: string) => new ConflictError(`a group named ${JSON.stringify(name)} already exists (names are compared without regard to case)`);

/**
 * Finds a group by name (case-insensitively) or, failing that, by id. Names come first: they are what people
 * type, and an id (22 random characters) is not a name anyone gives a group by chance.
 */
export async function findGroup(store: Store, nameOrId: GroupRef): Promise<GroupRecord> {
  if (typeof nameOrId !== 'string') {
    const byId = await store.groups.findById(nameOrId.id);
    if (!byId) throw notFound(nameOrId);
    return byId;
  }
  const wanted = nameOrId.trim();
  if (!wanted) throw new NotFoundError('no group "": give a group name or id');
  const group = (GROUP_NAME_PATTERN.test(wanted) ? await store.groups.findByName(wanted) : null) ?? (await store.groups.findById(wanted));
  if (!group) throw notFound(wanted);
  return group;
}

export interface NewGroupInput {
  name: string;
  description?: string;
  requireMfa?: boolean;
}

export async function createGroup(ctx: ManageContext, input: NewGroupInput): Promise<GroupRecord> {
  const name = checkGroupName(input.name);
  const description = checkGroupDescription(input.description ?? '');
  // A friendly answer for the common case; the unique index on the lower-cased name still decides a race.
  if (await ctx.store.groups.findByName(name)) throw taken(name);
  const group = await ctx.store.groups.create({ id: randomId(), name, description, requireMfa: input.requireMfa ?? false }, ctx.clock.now());
  await audit(ctx, 'group.created', group.id, { name: group.name, require_mfa: group.requireMfa });
  return group;
}

/** Renames a group; only its row changes (applications and memberships name it by id). Same name: nothing written. */
export async function renameGroup(ctx: ManageContext, nameOrId: string, newName: string): Promise<GroupRecord> {
  const group = await findGroup(ctx.store, nameOrId);
  const name = checkGroupName(newName);
  if (name === group.name) return group;
  // Another case of its own name is a rename of this group, not a clash.
  const holder = await ctx.store.groups.findByName(name);
  if (holder && holder.id !== group.id) throw taken(name);
  const updated = await ctx.store.groups.update(group.id, { name }, ctx.clock.now());
  if (!updated) throw notFound(nameOrId);
  await audit(ctx, 'group.renamed', group.id, { from: group.name, to: updated.name });
  return updated;
}

export interface GroupChanges {
  /** Issue 26 (the management API's PATCH): a rename in the same write as the other changes, as renameGroup checks it. */
  name?: string;
  description?: string;
  requireMfa?: boolean;
}

/**
 * Changes a group's name, description or multi-factor rule; only a real change is written and audited (a new name as
 * `group.renamed`, the rest as `group.updated`). With `condition.expectedVersion`, one conditional write.
 */
export async function updateGroup(ctx: ManageContext, nameOrId: GroupRef, changes: GroupChanges, condition: VersionCondition = {}): Promise<GroupRecord> {
  const group = await findGroup(ctx.store, nameOrId);
  checkVersion(group, condition);
  const patch: GroupPatch = {};
  if (changes.name !== undefined) {
    const name = checkGroupName(changes.name);
    if (name !== group.name) {
      // Another case of its own name is a rename of this group, not a clash.
      const holder = await ctx.store.groups.findByName(name);
      if (holder && holder.id !== group.id) throw taken(name);
      patch.name = name;
    }
  }
  if (changes.description !== undefined) {
    const description = checkGroupDescription(changes.description);
    if (description !== group.description) patch.description = description;
  }
  if (changes.requireMfa !== undefined && changes.requireMfa !== group.requireMfa) patch.requireMfa = changes.requireMfa;
  const fields = Object.keys(patch)
    .filter((field) => field !== 'name')
    .map((field) => (field === 'requireMfa' ? 'require_mfa' : field));
  if (fields.length === 0 && patch.name === undefined) return group;
  const updated = await ctx.store.groups.update(group.id, patch, ctx.clock.now(), onlyIfVersion(condition));
  if (!updated) throw await notWritten(ctx.store, group, nameOrId);
  if (patch.name !== undefined) await audit(ctx, 'group.renamed', group.id, { from: group.name, to: updated.name });
  if (fields.length > 0) await audit(ctx, 'group.updated', group.id, { name: updated.name, fields, ...(patch.requireMfa === undefined ? {} : { require_mfa: patch.requireMfa }) });
  return updated;
}

/**
 * Deletes a group with its memberships and the application rules naming it (ON DELETE CASCADE). Returns the
 * applications that named it, read just before: an application restricted to it alone now admits nobody (fails
 * closed, src/auth/access-rules.ts), which the caller tells the administrator.
 */
export async function deleteGroup(ctx: ManageContext, nameOrId: GroupRef, condition: VersionCondition = {}): Promise<{ group: GroupRecord; uses: GroupUse[] }> {
  const group = await findGroup(ctx.store, nameOrId);
  checkVersion(group, condition);
  const uses = await ctx.store.groups.usesOf(group.id);
  if (!(await ctx.store.groups.delete(group.id, onlyIfVersion(condition)))) throw await notWritten(ctx.store, group, nameOrId);
  await audit(ctx, 'group.deleted', group.id, { name: group.name, clients: uses.map((use) => use.clientId) });
  return { group, uses };
}

/** Puts a person in a group; already a member: nothing written (`added` false). */
export async function addMember(ctx: ManageContext, groupNameOrId: GroupRef, userEmailOrId: string): Promise<{ group: GroupRecord; user: UserRecord; added: boolean }> {
  const group = await findGroup(ctx.store, groupNameOrId);
  const user = await findUser(ctx.store, userEmailOrId);
  const added = await ctx.store.groups.addMember(group.id, user.id, ctx.clock.now());
  if (added) await audit(ctx, 'group.member_added', user.id, { group_id: group.id, group: group.name });
  return { group, user, added };
}

/**
 * Takes a person out of a group; not a member: nothing written (`removed` false). Their next sign-in, single
 * sign-on answer, code exchange or refresh at an application restricted to the group is refused.
 */
export async function removeMember(ctx: ManageContext, groupNameOrId: GroupRef, userEmailOrId: string): Promise<{ group: GroupRecord; user: UserRecord; removed: boolean }> {
  const group = await findGroup(ctx.store, groupNameOrId);
  const user = await findUser(ctx.store, userEmailOrId);
  const removed = await ctx.store.groups.removeMember(group.id, user.id);
  if (removed) await audit(ctx, 'group.member_removed', user.id, { group_id: group.id, group: group.name });
  return { group, user, removed };
}

/**
 * The ids of the groups named (by name or id), in the order given, each once; a NotFoundError naming the first
 * that does not exist. Blank entries are skipped (a trailing comma or an empty line of a form).
 */
export async function groupIdsFromNames(store: Store, names: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    if (!name.trim()) continue;
    const group = await findGroup(store, name);
    if (!ids.includes(group.id)) ids.push(group.id);
  }
  return ids;
}
