// Groups and their members on SQLite (issue 21, migration 0012).
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
import { isForeignKeyViolation, type SqliteDatabase } from './database.js';

/** A correlated count over group_members' primary key (group_id, user_id): one index range per group of the page. */
const SUMMARY = `${QUALIFIED_COLUMNS}, (SELECT count(*) FROM group_members WHERE group_members.group_id = groups.id) AS member_count`;

/**
 * instr() has no wildcards: `%` and `_` in a search mean themselves (as in the users' search). name_key is stored
 * lower-cased, as the search is. The name_key bound lets the UNIQUE index on it start the page where the cursor is.
 */
function pageStatement(after: boolean, search: boolean): string {
  const conditions = [...(after ? ['name_key >= @key', '(name_key, id) > (@key, @id)'] : []), ...(search ? ['instr(name_key, @term) > 0'] : [])];
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')} ` : '';
  return `SELECT ${SUMMARY} FROM groups ${where}ORDER BY name_key, id LIMIT @limit`;
}

function isUniqueCode(error: unknown): 'id' | 'name' | null {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'id';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE') return 'name';
  return null;
}

export class SqliteGroupRepository implements GroupRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly byName;
  private readonly pages;
  private readonly countStmt;
  private readonly deleteStmt;
  private readonly deleteVersionStmt;
  private readonly addStmt;
  private readonly removeStmt;
  private readonly countMembersStmt;
  private readonly groupsOfStmt;
  private readonly usesOfStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO groups (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[string], GroupRow>(`SELECT ${COLUMNS} FROM groups WHERE id = ?`);
    this.byName = db.prepare<[string], GroupRow>(`SELECT ${COLUMNS} FROM groups WHERE name_key = ?`);
    type PageParameters = { key?: string; id?: string; term?: string; limit: number };
    this.pages = {
      first: db.prepare<[PageParameters], GroupSummaryRow>(pageStatement(false, false)),
      next: db.prepare<[PageParameters], GroupSummaryRow>(pageStatement(true, false)),
      searchFirst: db.prepare<[PageParameters], GroupSummaryRow>(pageStatement(false, true)),
      searchNext: db.prepare<[PageParameters], GroupSummaryRow>(pageStatement(true, true)),
    };
    this.countStmt = db.prepare<[], number>('SELECT count(*) FROM groups').pluck();
    this.deleteStmt = db.prepare<[string]>('DELETE FROM groups WHERE id = ?');
    this.deleteVersionStmt = db.prepare<[string, number]>('DELETE FROM groups WHERE id = ? AND version = ?');
    // ON CONFLICT covers the primary key only: a missing group or user still fails its foreign key.
    this.addStmt = db.prepare<[string, string, number]>('INSERT INTO group_members (group_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT (group_id, user_id) DO NOTHING');
    this.removeStmt = db.prepare<[string, string]>('DELETE FROM group_members WHERE group_id = ? AND user_id = ?');
    this.countMembersStmt = db.prepare<[string], number>('SELECT count(*) FROM group_members WHERE group_id = ?').pluck();
    // The person's memberships from group_members_by_user (user_id, group_id), each group by its primary key;
    // at most a few dozen rows to sort by name.
    this.groupsOfStmt = db.prepare<[string], MemberGroupRow>(
      'SELECT groups.id, groups.name, groups.require_mfa FROM group_members INDEXED BY group_members_by_user CROSS JOIN groups ON groups.id = group_members.group_id ' +
        'WHERE group_members.user_id = ? ORDER BY groups.name_key',
    );
    this.usesOfStmt = db.prepare<[string], GroupUseRow>(
      'SELECT clients.client_id, clients.name, client_groups.role FROM client_groups CROSS JOIN clients ON clients.client_id = client_groups.client_id ' +
        'WHERE client_groups.group_id = ? ORDER BY clients.name, clients.client_id, client_groups.role',
    );
  }

  async create(group: NewGroup, now: number): Promise<GroupRecord> {
    const record: GroupRecord = { id: group.id, name: group.name, description: group.description, requireMfa: group.requireMfa ?? false, createdAt: now, updatedAt: now, version: 1 };
    try {
      this.insertStmt.run(record.id, record.name, nameKey(record.name), record.description, Number(record.requireMfa), now, now);
    } catch (error) {
      const taken = isUniqueCode(error);
      if (taken === 'id') throw groupIdTaken(group.id);
      if (taken === 'name') throw nameTaken(group.name);
      throw error;
    }
    return record;
  }

  async findById(id: string): Promise<GroupRecord | null> {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  async findByName(name: string): Promise<GroupRecord | null> {
    const row = this.byName.get(nameKey(name));
    return row ? toRecord(row) : null;
  }

  async list({ after, limit, search }: GroupListOptions): Promise<Page<GroupSummary>> {
    const term = normalizeSearch(search);
    const parameters: { key?: string; id?: string; term?: string; limit: number } = { limit: limit + 1 };
    if (after) {
      const [key = '', id = ''] = decodeCursor(after, 2);
      Object.assign(parameters, { key, id });
    }
    if (term !== null) parameters.term = term;
    const statement = term === null ? (after ? this.pages.next : this.pages.first) : after ? this.pages.searchNext : this.pages.searchFirst;
    const page = toPage(statement.all(parameters), limit, (row) => [row.name_key, row.id]);
    return { items: page.items.map(toSummary), next: page.next };
  }

  async count(): Promise<number> {
    return this.countStmt.get() ?? 0;
  }

  async update(id: string, patch: GroupPatch, now: number, options: UpdateOptions = {}): Promise<GroupRecord | null> {
    const assignments: string[] = [];
    const values: (string | number)[] = [];
    if (patch.name !== undefined) {
      assignments.push('name = ?', 'name_key = ?');
      values.push(patch.name, nameKey(patch.name));
    }
    if (patch.description !== undefined) {
      assignments.push('description = ?');
      values.push(patch.description);
    }
    if (patch.requireMfa !== undefined) {
      assignments.push('require_mfa = ?');
      values.push(Number(patch.requireMfa));
    }
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    const condition = options.onlyIfVersion === undefined ? '' : ' AND version = ?';
    try {
      const row = this.db
        .prepare<unknown[], GroupRow>(`UPDATE groups SET ${[...assignments, 'updated_at = ?', 'version = version + 1'].join(', ')} WHERE id = ?${condition} RETURNING ${COLUMNS}`)
        .get(...values, now, id, ...(options.onlyIfVersion === undefined ? [] : [options.onlyIfVersion]));
      return row ? toRecord(row) : null;
    } catch (error) {
      if (isUniqueCode(error) === 'name') throw nameTaken(patch.name ?? '');
      throw error;
    }
  }

  async delete(id: string, options: UpdateOptions = {}): Promise<boolean> {
    // Its memberships and the client rules naming it go with it (ON DELETE CASCADE).
    const version = options.onlyIfVersion;
    return (version === undefined ? this.deleteStmt.run(id) : this.deleteVersionStmt.run(id, version)).changes > 0;
  }

  async addMember(groupId: string, userId: string, now: number): Promise<boolean> {
    try {
      return this.addStmt.run(groupId, userId, now).changes > 0;
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      throw this.byId.get(groupId) ? memberNotFound(userId) : groupNotFound(groupId);
    }
  }

  async removeMember(groupId: string, userId: string): Promise<boolean> {
    return this.removeStmt.run(groupId, userId).changes > 0;
  }

  async countMembers(groupId: string): Promise<number> {
    return this.countMembersStmt.get(groupId) ?? 0;
  }

  async groupsOf(userId: string): Promise<MemberGroup[]> {
    return this.groupsOfStmt.all(userId).map(toMemberGroup);
  }

  async usesOf(groupId: string): Promise<GroupUse[]> {
    return toUses(this.usesOfStmt.all(groupId));
  }
}
