// The groups tables' columns and how rows become records, shared by every engine (issue 21, migration 0012).
import { ConflictError, NotFoundError } from '../../errors.js';
import type { GroupRecord, GroupSummary, GroupUse, MemberGroup } from '../records.js';

export interface GroupRow {
  id: string;
  name: string;
  name_key: string;
  description: string;
  /** 0 or 1 on SQLite, a boolean on PostgreSQL. */
  require_mfa: number | boolean;
  created_at: number;
  updated_at: number;
  /** Issue 26 (migration 0017): 1 at the insert (the column's default), one more at every update. */
  version: number;
}

export interface GroupSummaryRow extends GroupRow {
  member_count: number;
}

export interface MemberGroupRow {
  id: string;
  name: string;
  require_mfa: number | boolean;
}

/** One row per (client, role) naming a group, in client name order. */
export interface GroupUseRow {
  client_id: string;
  name: string;
  role: string;
}

/** The columns an INSERT gives, in order (the version starts at the column's default, 1). */
export const INSERT_COLUMNS = 'id, name, name_key, description, require_mfa, created_at, updated_at';

/** The columns a read selects. */
export const COLUMNS = `${INSERT_COLUMNS}, version`;

/** The columns through the table's name, for statements that join another table with an `id` or `name` of its own. */
export const QUALIFIED_COLUMNS = COLUMNS.split(',')
  .map((column) => `groups.${column.trim()}`)
  .join(', ');

/**
 * The form a name is unique and sorted in. Names are `[A-Za-z0-9._-]` (src/manage/groups.ts), where lower-casing is
 * the same in JavaScript, SQLite and PostgreSQL; done here, as normalizeEmail is, so both engines store the same key.
 */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export function toRecord(row: GroupRow): GroupRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    requireMfa: Boolean(row.require_mfa),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export function toSummary(row: GroupSummaryRow): GroupSummary {
  return { ...toRecord(row), memberCount: row.member_count };
}

export function toMemberGroup(row: MemberGroupRow): MemberGroup {
  return { id: row.id, name: row.name, requireMfa: Boolean(row.require_mfa) };
}

/** Rows in client order (name, id) and role order become one use per client with its roles. */
export function toUses(rows: readonly GroupUseRow[]): GroupUse[] {
  const uses: GroupUse[] = [];
  for (const row of rows) {
    const last = uses[uses.length - 1];
    const role = row.role === 'access' ? 'access' : 'claim';
    if (last && last.clientId === row.client_id) last.roles.push(role);
    else uses.push({ clientId: row.client_id, name: row.name, roles: [role] });
  }
  return uses;
}

export function nameTaken(name: string): ConflictError {
  return new ConflictError(`a group named ${name} already exists`);
}

export function groupIdTaken(id: string): ConflictError {
  return new ConflictError(`a group with the id ${id} already exists`);
}

export function groupNotFound(id: string): NotFoundError {
  return new NotFoundError(`there is no group with the id ${id}`);
}

export function memberNotFound(userId: string): NotFoundError {
  return new NotFoundError(`there is no user with the id ${userId}`);
}
