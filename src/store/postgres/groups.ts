// Groups and their members on PostgreSQL (issue 21, migration 0012).
import pg from 'pg';
import { decodeCursor, toPage } from '../cursor.js';
import type { GroupPatch, GroupRecord, GroupSummary, GroupUse, MemberGroup, NewGroup, Page } from '../records.js';
import { normalizeSearch } from '../rows/users.js';
import {
  COLUMNS,
  groupIdTaken,
  groupNotFound,
  INSERT_COLUMNS,
  memberNotFound,
  nameKey,
  nameTaken,
  QUALIFIED_COLUMNS,
  toMemberGroup,
  toRecord,
  toSummary,
  toUses,
  type GroupRow,
  type GroupSummaryRow,
  type GroupUseRow,
  type MemberGroupRow,
} from '../rows/groups.js';
import type { GroupListOptions, GroupRepository, UpdateOptions } from '../store.js';
import { isAnyForeignKeyViolation, isUniqueViolation, query, statement, type PostgresPool } from './database.js';

/** A correlated count over group_members' primary key (group_id, user_id): one index range per group of the page. */
const SUMMARY = `${QUALIFIED_COLUMNS}, (SELECT count(*) FROM group_members WHERE group_members.group_id = groups.id) AS member_count`;

/**
 * strpos() has no wildcards: `%` and `_` in a search mean themselves (as in the users' search). name_key is stored
 * lower-cased, as the search is, and COLLATE "C": pages come in the same (bytewise) order as on SQLite.
 */
function page(name: string, after: boolean, search: boolean) {
  const conditions = [...(after ? ['(name_key, id) > ($2, $3)'] : []), ...(search ? [`strpos(name_key, $${after ? 4 : 2}) > 0`] : [])];
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')} ` : '';
  return statement(name, `SELECT ${SUMMARY} FROM groups ${where}ORDER BY name_key, id LIMIT $1`);
}

const INSERT = statement('groups.insert', `INSERT INTO groups (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`);
const BY_ID = statement('groups.byId', `SELECT ${COLUMNS} FROM groups WHERE id = $1`);
const BY_NAME = statement('groups.byName', `SELECT ${COLUMNS} FROM groups WHERE name_key = $1`);
const PAGES = {
  first: page('groups.firstPage', false, false),
  next: page('groups.nextPage', true, false),
  searchFirst: page('groups.searchFirstPage', false, true),
  searchNext: page('groups.searchNextPage', true, true),
};
const COUNT = statement('groups.count', 'SELECT count(*) AS n FROM groups');
const DELETE = statement('groups.delete', 'DELETE FROM groups WHERE id = $1');
const DELETE_VERSION = statement('groups.deleteVersion', 'DELETE FROM groups WHERE id = $1 AND version = $2');
// ON CONFLICT covers the primary key only: a missing group or user still fails its foreign key.
const ADD = statement('groups.addMember', 'INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT (group_id, user_id) DO NOTHING');
const REMOVE = statement('groups.removeMember', 'DELETE FROM group_members WHERE group_id = $1 AND user_id = $2');
const COUNT_MEMBERS = statement('groups.countMembers', 'SELECT count(*) AS n FROM group_members WHERE group_id = $1');
/** The person's memberships from group_members_by_user (user_id, group_id), each group by its primary key. */
const GROUPS_OF = statement(
  'groups.groupsOf',
  'SELECT groups.id, groups.name, groups.require_mfa FROM group_members JOIN groups ON groups.id = group_members.group_id WHERE group_members.user_id = $1 ORDER BY groups.name_key',
);
const USES_OF = statement(
  'groups.usesOf',
  'SELECT clients.client_id, clients.name, client_groups.role FROM client_groups JOIN clients ON clients.client_id = client_groups.client_id ' +
    'WHERE client_groups.group_id = $1 ORDER BY clients.name, clients.client_id, client_groups.role',
);

function takenConstraint(error: unknown): 'id' | 'name' | null {
  if (!isUniqueViolation(error)) return null;
  return (error as pg.DatabaseError).constraint === 'groups_pkey' ? 'id' : 'name';
}

export class PostgresGroupRepository implements GroupRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(group: NewGroup, now: number): Promise<GroupRecord> {
    const record: GroupRecord = { id: group.id, name: group.name, description: group.description, requireMfa: group.requireMfa ?? false, createdAt: now, updatedAt: now, version: 1 };
    try {
      await query(this.pool, INSERT, [record.id, record.name, nameKey(record.name), record.description, record.requireMfa, now, now]);
    } catch (error) {
      const taken = takenConstraint(error);
      if (taken === 'id') throw groupIdTaken(group.id);
      if (taken === 'name') throw nameTaken(group.name);
      throw error;
    }
    return record;
  }

  async findById(id: string): Promise<GroupRecord | null> {
    const row = (await query<GroupRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findByName(name: string): Promise<GroupRecord | null> {
    const row = (await query<GroupRow>(this.pool, BY_NAME, [nameKey(name)])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list({ after, limit, search }: GroupListOptions): Promise<Page<GroupSummary>> {
    const term = normalizeSearch(search);
    const values: unknown[] = [limit + 1];
    if (after) values.push(...decodeCursor(after, 2));
    if (term !== null) values.push(term);
    const statement = term === null ? (after ? PAGES.next : PAGES.first) : after ? PAGES.searchNext : PAGES.searchFirst;
    const rows = (await query<GroupSummaryRow>(this.pool, statement, values)).rows;
    const page = toPage(rows, limit, (row) => [row.name_key, row.id]);
    return { items: page.items.map(toSummary), next: page.next };
  }

  async count(): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT)).rows[0]?.n ?? 0;
  }

  async update(id: string, patch: GroupPatch, now: number, options: UpdateOptions = {}): Promise<GroupRecord | null> {
    const assignments: string[] = [];
    const values: unknown[] = [];
    const assign = (column: string, value: unknown) => {
      values.push(value);
      assignments.push(`${column} = $${values.length}`);
    };
    if (patch.name !== undefined) {
      assign('name', patch.name);
      assign('name_key', nameKey(patch.name));
    }
    if (patch.description !== undefined) assign('description', patch.description);
    if (patch.requireMfa !== undefined) assign('require_mfa', patch.requireMfa);
    assign('updated_at', now);
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    assignments.push('version = version + 1');
    values.push(id);
    const conditions = [`id = $${values.length}`];
    if (options.onlyIfVersion !== undefined) {
      values.push(options.onlyIfVersion);
      conditions.push(`version = $${values.length}`);
    }
    try {
      const { rows } = await query<GroupRow>(this.pool, `UPDATE groups SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING ${COLUMNS}`, values);
      return rows[0] ? toRecord(rows[0]) : null;
    } catch (error) {
      if (takenConstraint(error) === 'name') throw nameTaken(patch.name ?? '');
      throw error;
    }
  }

  async delete(id: string, options: UpdateOptions = {}): Promise<boolean> {
    // Its memberships and the client rules naming it go with it (ON DELETE CASCADE).
    const version = options.onlyIfVersion;
    const result = version === undefined ? await query(this.pool, DELETE, [id]) : await query(this.pool, DELETE_VERSION, [id, version]);
    return (result.rowCount ?? 0) > 0;
  }

  async addMember(groupId: string, userId: string, now: number): Promise<boolean> {
    try {
      return ((await query(this.pool, ADD, [groupId, userId, now])).rowCount ?? 0) > 0;
    } catch (error) {
      if (!isAnyForeignKeyViolation(error)) throw error;
      throw (error as pg.DatabaseError).constraint === 'group_members_user_id_fkey' ? memberNotFound(userId) : groupNotFound(groupId);
    }
  }

  async removeMember(groupId: string, userId: string): Promise<boolean> {
    return ((await query(this.pool, REMOVE, [groupId, userId])).rowCount ?? 0) > 0;
  }

  async countMembers(groupId: string): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT_MEMBERS, [groupId])).rows[0]?.n ?? 0;
  }

  async groupsOf(userId: string): Promise<MemberGroup[]> {
    return (await query<MemberGroupRow>(this.pool, GROUPS_OF, [userId])).rows.map(toMemberGroup);
  }

  async usesOf(groupId: string): Promise<GroupUse[]> {
    return toUses((await query<GroupUseRow>(this.pool, USES_OF, [groupId])).rows);
  }
}
