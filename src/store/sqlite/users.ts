import type Database from 'better-sqlite3';
import { decodeCursor, toPage } from '../cursor.js';
import { normalizeEmail } from '../normalize-email.js';
import type { NewUser, Page, UserPatch, UserRecord } from '../records.js';
import type { UpdateOptions, UserListOptions, UserRepository, UserUpdateOptions } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';
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
import { SqliteGroupMembers, SQLITE_MEMBER_LIST_TUNING, type SqliteMemberListTuning } from './group-members.js';
import { SqliteUserSearch, SQLITE_SEARCH_TUNING, type SqliteSearchTuning } from './user-search.js';

/**
 * Keeps only the rows that are not the last enabled admin: one where another enabled admin exists, or that is
 * not one itself. Part of the one UPDATE or DELETE statement, which SQLite runs under its single write lock,
 * so two statements taking away the last two admins see each other's result: one of them matches nothing.
 */
const NOT_LAST_ADMIN = 'NOT (is_admin = 1 AND disabled = 0 AND NOT EXISTS ' + '(SELECT 1 FROM users AS other WHERE other.is_admin = 1 AND other.disabled = 0 AND other.id <> users.id))';

function isRetiredSubject(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_TRIGGER' && (error as Error).message.startsWith(RETIRED_SUBJECT_MESSAGE);
}

export class SqliteUserRepository implements UserRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly byEmail;
  private readonly firstPage;
  private readonly nextPage;
  private readonly search;
  private readonly members;
  private readonly countStmt;
  private readonly deleteStmt;
  private readonly deleteVersionStmt;
  private readonly guardedTx;
  private readonly endMailedLinks;
  private readonly inTransaction;

  /**
   * `searchTuning`: the users page's search (./user-search.ts); `memberTuning`: a group's members (./group-members.ts).
   * Tests pass small figures to take every way with few users.
   */
  constructor(
    private readonly db: SqliteDatabase,
    searchTuning: SqliteSearchTuning = SQLITE_SEARCH_TUNING,
    memberTuning: SqliteMemberListTuning = SQLITE_MEMBER_LIST_TUNING,
  ) {
    this.insertStmt = db.prepare(`INSERT INTO users (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[string], UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = ?`);
    this.byEmail = db.prepare<[string], UserRow>(`SELECT ${COLUMNS} FROM users WHERE email_normalized = ?`);
    this.firstPage = db.prepare<[number], UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY email_normalized LIMIT ?`);
    this.nextPage = db.prepare<[string, number], UserRow>(`SELECT ${COLUMNS} FROM users WHERE email_normalized > ? ORDER BY email_normalized LIMIT ?`);
    this.search = new SqliteUserSearch(db, searchTuning);
    this.members = new SqliteGroupMembers(db, memberTuning);
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users');
    this.deleteStmt = db.prepare(`DELETE FROM users WHERE id = ? AND ${NOT_LAST_ADMIN}`);
    this.deleteVersionStmt = db.prepare(`DELETE FROM users WHERE id = ? AND version = ? AND ${NOT_LAST_ADMIN}`);
    // A guarded write that changed nothing either found no user (or not at the address, or the version, it was to
    // have) or refused the last admin: the look-up that tells which runs in the same transaction, so no other
    // connection's write lands in between.
    this.guardedTx = db.transaction((write: () => unknown, id: string, emailNormalized: string | null, version: number | null = null): unknown => {
      const result = write();
      const user = result ? undefined : this.byId.get(id);
      if (user && (emailNormalized === null || user.email_normalized === emailNormalized) && (version === null || user.version === version)) throw lastAdmin();
      return result;
    });
    this.endMailedLinks = db.prepare<[number, string]>('UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL');
    this.inTransaction = db.transaction((write: () => unknown): unknown => write());
  }

  async create(user: NewUser, now: number): Promise<UserRecord> {
    try {
      this.insertStmt.run(
        user.id,
        user.email,
        normalizeEmail(user.email),
        user.name,
        normalizeName(user.name),
        user.passwordHash,
        Number(user.isAdmin),
        Number(user.disabled),
        Number(user.emailVerified),
        Number(user.hasPassword ?? true),
        user.locale ?? null,
        user.timeZone ?? null,
        now,
        now,
      );
    } catch (error) {
      if (isRetiredSubject(error)) throw idRetired();
      if (isUniqueViolation(error)) throw emailTaken(user.email);
      throw error;
    }
    return createdRecord(user, now);
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = this.byEmail.get(normalizeEmail(email));
    return row ? toRecord(row) : null;
  }

  async list({ after, limit, search, inGroup }: UserListOptions): Promise<Page<UserRecord>> {
    const afterEmail = after ? (decodeCursor(after, 1)[0] ?? '') : null;
    const term = normalizeSearch(search);
    let rows: UserRow[];
    if (inGroup !== undefined) rows = this.members.list(inGroup, term, afterEmail, limit + 1);
    else if (term === null) rows = afterEmail === null ? this.firstPage.all(limit + 1) : this.nextPage.all(afterEmail, limit + 1);
    else rows = this.search.list(term, afterEmail, limit + 1);
    const page = toPage(rows, limit, (row) => [row.email_normalized]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async count(): Promise<number> {
    return this.countStmt.get()?.n ?? 0;
  }

  async update(id: string, patch: UserPatch, now: number, options: UserUpdateOptions = {}): Promise<UserRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof UserPatch, UserPatch[keyof UserPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      assignments.push(`${PATCH_COLUMNS[key]} = ?`);
      values.push(typeof value === 'boolean' ? Number(value) : value);
      if (key === 'email') {
        assignments.push('email_normalized = ?');
        values.push(normalizeEmail(value as string));
      }
      if (key === 'name') {
        assignments.push('name_normalized = ?');
        values.push(normalizeName(value as string | null));
      }
    }
    // A password the person chose (not the same one rehashed) marks the account as having one (issue 23).
    if (setsPassword(patch, options)) assignments.push('has_password = 1');
    const guarded = endsAdmin(patch);
    const onlyIf = options.onlyIfEmail === undefined ? null : normalizeEmail(options.onlyIfEmail);
    const onlyIfHash = options.onlyIfPasswordHash ?? null;
    const onlyIfVersion = options.onlyIfVersion ?? null;
    const conditions = [
      'id = ?',
      ...(onlyIf === null ? [] : ['email_normalized = ?']),
      ...(onlyIfHash === null ? [] : ['password_hash = ?']),
      ...(onlyIfVersion === null ? [] : ['version = ?']),
      ...(guarded ? [NOT_LAST_ADMIN] : []),
    ];
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    const statement: Database.Statement<unknown[], UserRow> = this.db.prepare<unknown[], UserRow>(
      `UPDATE users SET ${[...assignments, 'updated_at = ?', 'version = version + 1'].join(', ')} WHERE ${conditions.join(' AND ')} RETURNING ${COLUMNS}`,
    );
    const endsLinks = endsMailedLinks(patch, options);
    try {
      // A new email or password and the end of the mailed links are one write: no link outlives the change.
      const write = () => {
        const updated = statement.get(...values, now, id, ...(onlyIf === null ? [] : [onlyIf]), ...(onlyIfHash === null ? [] : [onlyIfHash]), ...(onlyIfVersion === null ? [] : [onlyIfVersion]));
        if (updated && endsLinks) this.endMailedLinks.run(now, id);
        return updated;
      };
      let row: UserRow | undefined;
      if (guarded) row = this.guardedTx(write, id, onlyIf, onlyIfVersion) as UserRow | undefined;
      else row = endsLinks ? (this.inTransaction(write) as UserRow | undefined) : write();
      return row ? toRecord(row) : null;
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(patch.email ?? '');
      throw error;
    }
  }

  async delete(id: string, options: UpdateOptions = {}): Promise<boolean> {
    // The user's sessions, codes and tokens go with them (ON DELETE CASCADE); a trigger retires the id.
    const version = options.onlyIfVersion;
    if (version === undefined) return this.guardedTx(() => this.deleteStmt.run(id).changes > 0, id, null) as boolean;
    return this.guardedTx(() => this.deleteVersionStmt.run(id, version).changes > 0, id, null, version) as boolean;
  }
}
