import pg from 'pg';
import { decodeCursor, toPage } from '../cursor.js';
import { normalizeEmail } from '../normalize-email.js';
import type { NewUser, Page, UserPatch, UserRecord } from '../records.js';
import type { UpdateOptions, UserListOptions, UserRepository, UserUpdateOptions } from '../store.js';
import { inTransaction, isUniqueViolation, query, statement, type PostgresPool } from './database.js';
import {
  COLUMNS,
  createdRecord,
  emailTaken,
  endsAdmin,
  endsMailedLinks,
  idRetired,
  INSERT_COLUMNS,
  lastAdmin,
  normalizeName,
  normalizeSearch,
  PATCH_COLUMNS,
  RETIRED_SUBJECT_MESSAGE,
  setsPassword,
  toRecord,
  type UserRow,
} from '../rows/users.js';
import { PostgresGroupMembers, POSTGRES_MEMBER_LIST_TUNING, type PostgresMemberListTuning } from './group-members.js';
import { PostgresUserSearch, POSTGRES_SEARCH_TUNING, type PostgresSearchTuning } from './user-search.js';

const INSERT = statement('users.insert', `INSERT INTO users (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`);
const BY_ID = statement('users.byId', `SELECT ${COLUMNS} FROM users WHERE id = $1`);
const BY_EMAIL = statement('users.byEmail', `SELECT ${COLUMNS} FROM users WHERE email_normalized = $1`);
const FIRST_PAGE = statement('users.firstPage', `SELECT ${COLUMNS} FROM users ORDER BY email_normalized LIMIT $1`);
const NEXT_PAGE = statement('users.nextPage', `SELECT ${COLUMNS} FROM users WHERE email_normalized > $1 ORDER BY email_normalized LIMIT $2`);
const COUNT = statement('users.count', 'SELECT count(*) AS n FROM users');
/**
 * The enabled admins, locked in one order (so that two of these never wait for each other in a cycle). Every
 * change that can take an enabled admin away takes these locks first: of two demotions of the last two
 * admins, the second waits for the first to commit, then reads what is left (READ COMMITTED re-reads the
 * locked rows) and finds its target alone. A partial index (migration 0005) keeps this to the admins' rows.
 */
const LOCK_ENABLED_ADMINS = statement('users.lockEnabledAdmins', 'SELECT id FROM users WHERE is_admin AND NOT disabled ORDER BY id FOR UPDATE');
const DELETE = statement('users.delete', 'DELETE FROM users WHERE id = $1');
const DELETE_VERSION = statement('users.deleteVersion', 'DELETE FROM users WHERE id = $1 AND version = $2');
const BY_ID_AND_EMAIL = statement('users.byIdAndEmail', 'SELECT id FROM users WHERE id = $1 AND email_normalized = $2');
const BY_ID_AND_VERSION = statement('users.byIdAndVersion', 'SELECT id FROM users WHERE id = $1 AND version = $2');

function isRetiredSubject(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505' && error.message.startsWith(RETIRED_SUBJECT_MESSAGE);
}

/** Refuses, inside the caller's transaction, a change that would take away the last enabled admin when it is `id`. */
async function refuseLastAdmin(client: pg.PoolClient, id: string): Promise<void> {
  const { rows } = await client.query<{ id: string }>({ name: LOCK_ENABLED_ADMINS.name, text: LOCK_ENABLED_ADMINS.text });
  if (rows.length === 1 && rows[0]?.id === id) throw lastAdmin();
}

async function hasEmail(client: pg.PoolClient, id: string, email: string): Promise<boolean> {
  const { rows } = await client.query<{ id: string }>({ name: BY_ID_AND_EMAIL.name, text: BY_ID_AND_EMAIL.text, values: [id, normalizeEmail(email)] });
  return rows.length > 0;
}

async function hasVersion(client: pg.PoolClient, id: string, version: number): Promise<boolean> {
  const { rows } = await client.query<{ id: string }>({ name: BY_ID_AND_VERSION.name, text: BY_ID_AND_VERSION.text, values: [id, version] });
  return rows.length > 0;
}

export class PostgresUserRepository implements UserRepository {
  private readonly search: PostgresUserSearch;
  private readonly members: PostgresGroupMembers;

  /**
   * `searchTuning`: the users page's search (./user-search.ts); `memberTuning`: a group's members (./group-members.ts).
   * Tests pass small figures to take every way with few users.
   */
  constructor(
    private readonly pool: PostgresPool,
    searchTuning: PostgresSearchTuning = POSTGRES_SEARCH_TUNING,
    memberTuning: PostgresMemberListTuning = POSTGRES_MEMBER_LIST_TUNING,
  ) {
    this.search = new PostgresUserSearch(pool, searchTuning);
    this.members = new PostgresGroupMembers(pool, memberTuning);
  }

  async create(user: NewUser, now: number): Promise<UserRecord> {
    try {
      await query(this.pool, INSERT, [
        user.id,
        user.email,
        normalizeEmail(user.email),
        user.name,
        normalizeName(user.name),
        user.passwordHash,
        user.isAdmin,
        user.disabled,
        user.emailVerified,
        user.hasPassword ?? true,
        user.locale ?? null,
        user.timeZone ?? null,
        now,
        now,
      ]);
    } catch (error) {
      // The trigger of migration 0005 raises unique_violation too: tell it apart before the taken email.
      if (isRetiredSubject(error)) throw idRetired();
      if (isUniqueViolation(error)) throw emailTaken(user.email);
      throw error;
    }
    return createdRecord(user, now);
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = (await query<UserRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = (await query<UserRow>(this.pool, BY_EMAIL, [normalizeEmail(email)])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list({ after, limit, search, inGroup }: UserListOptions): Promise<Page<UserRecord>> {
    const afterEmail = after ? (decodeCursor(after, 1)[0] ?? '') : null;
    const term = normalizeSearch(search);
    let rows: UserRow[];
    if (inGroup !== undefined) {
      rows = await this.members.list(inGroup, term, afterEmail, limit + 1);
    } else if (term === null) {
      rows = (afterEmail === null ? await query<UserRow>(this.pool, FIRST_PAGE, [limit + 1]) : await query<UserRow>(this.pool, NEXT_PAGE, [afterEmail, limit + 1])).rows;
    } else {
      rows = await this.search.list(term, afterEmail, limit + 1);
    }
    const page = toPage(rows, limit, (row) => [row.email_normalized]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async count(): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT)).rows[0]?.n ?? 0;
  }

  async update(id: string, patch: UserPatch, now: number, options: UserUpdateOptions = {}): Promise<UserRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: unknown[] = [];
    const assign = (column: string, value: unknown) => {
      values.push(value);
      assignments.push(`${column} = $${values.length}`);
    };
    for (const [key, value] of Object.entries(patch) as [keyof UserPatch, UserPatch[keyof UserPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      assign(PATCH_COLUMNS[key], value);
      if (key === 'email') assign('email_normalized', normalizeEmail(value as string));
      if (key === 'name') assign('name_normalized', normalizeName(value as string | null));
    }
    // A password the person chose (not the same one rehashed) marks the account as having one (issue 23).
    if (setsPassword(patch, options)) assignments.push('has_password = TRUE');
    assign('updated_at', now);
    const nowParameter = `$${values.length}`;
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    assignments.push('version = version + 1');
    values.push(id);
    const conditions = [`id = $${values.length}`];
    if (options.onlyIfEmail !== undefined) {
      values.push(normalizeEmail(options.onlyIfEmail));
      conditions.push(`email_normalized = $${values.length}`);
    }
    if (options.onlyIfPasswordHash !== undefined) {
      values.push(options.onlyIfPasswordHash);
      conditions.push(`password_hash = $${values.length}`);
    }
    if (options.onlyIfVersion !== undefined) {
      values.push(options.onlyIfVersion);
      conditions.push(`version = $${values.length}`);
    }
    let text = `UPDATE users SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING ${COLUMNS}`;
    if (endsMailedLinks(patch, options)) {
      // A new email or password and the end of the mailed links are one statement: no link outlives the change. The
      // links' update takes the user from the users' update, so a user that is not there (or not changed) ends none.
      text =
        `WITH updated AS (${text}), ended_links AS (` +
        `UPDATE account_tokens SET used_at = ${nowParameter} WHERE user_id IN (SELECT id FROM updated) AND used_at IS NULL) SELECT ${COLUMNS} FROM updated`;
    }
    try {
      const { rows } = endsAdmin(patch)
        ? await inTransaction(this.pool, async (client) => {
            // A user not at the address the write is conditioned on is left alone (null), as on SQLite, rather than
            // refused as the last admin; the UPDATE's own condition still decides a change made in between.
            if (options.onlyIfEmail !== undefined && !(await hasEmail(client, id, options.onlyIfEmail))) return { rows: [] as UserRow[] };
            if (options.onlyIfVersion !== undefined && !(await hasVersion(client, id, options.onlyIfVersion))) return { rows: [] as UserRow[] };
            await refuseLastAdmin(client, id);
            return client.query<UserRow>(text, values);
          })
        : await query<UserRow>(this.pool, text, values);
      return rows[0] ? toRecord(rows[0]) : null;
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(patch.email ?? '');
      throw error;
    }
  }

  async delete(id: string, options: UpdateOptions = {}): Promise<boolean> {
    // The user's sessions, codes and tokens go with them (ON DELETE CASCADE); a trigger retires the id.
    const version = options.onlyIfVersion;
    return inTransaction(this.pool, async (client) => {
      // A user at another version is left alone (false), as on SQLite, rather than refused as the last admin; the
      // DELETE's own condition still decides a change made in between.
      if (version !== undefined && !(await hasVersion(client, id, version))) return false;
      await refuseLastAdmin(client, id);
      const sql = version === undefined ? { ...DELETE, values: [id] } : { ...DELETE_VERSION, values: [id, version] };
      return ((await client.query(sql)).rowCount ?? 0) > 0;
    });
  }
}
