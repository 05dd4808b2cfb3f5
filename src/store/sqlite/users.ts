import { decodeCursor, toPage } from '../cursor.js';
import { normalizeEmail } from '../normalize-email.js';
import type { NewUser, UserPatch, UserRecord } from '../records.js';
import type { ListOptions, UserRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';
import { COLUMNS, emailTaken, PATCH_COLUMNS, toRecord, type UserRow } from '../rows/users.js';

export class SqliteUserRepository implements UserRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly byEmail;
  private readonly firstPage;
  private readonly nextPage;
  private readonly deleteStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO users (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[string], UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = ?`);
    this.byEmail = db.prepare<[string], UserRow>(`SELECT ${COLUMNS} FROM users WHERE email_normalized = ?`);
    this.firstPage = db.prepare<[number], UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY email_normalized LIMIT ?`);
    this.nextPage = db.prepare<[string, number], UserRow>(`SELECT ${COLUMNS} FROM users WHERE email_normalized > ? ORDER BY email_normalized LIMIT ?`);
    this.deleteStmt = db.prepare('DELETE FROM users WHERE id = ?');
  }

  async create(user: NewUser, now: number): Promise<UserRecord> {
    try {
      this.insertStmt.run(user.id, user.email, normalizeEmail(user.email), user.name, user.passwordHash,
        Number(user.isAdmin), Number(user.disabled), Number(user.emailVerified), now, now);
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(user.email);
      throw error;
    }
    return { ...user, createdAt: now, updatedAt: now };
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = this.byEmail.get(normalizeEmail(email));
    return row ? toRecord(row) : null;
  }

  async list({ after, limit }: ListOptions) {
    const rows = after ? this.nextPage.all(decodeCursor(after, 1)[0] ?? '', limit + 1) : this.firstPage.all(limit + 1);
    const page = toPage(rows, limit, (row) => [row.email_normalized]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async update(id: string, patch: UserPatch, now: number): Promise<UserRecord | null> {
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
    }
    try {
      const row = this.db.prepare<unknown[], UserRow>(
        `UPDATE users SET ${[...assignments, 'updated_at = ?'].join(', ')} WHERE id = ? RETURNING ${COLUMNS}`,
      ).get(...values, now, id);
      return row ? toRecord(row) : null;
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(patch.email ?? '');
      throw error;
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }
}
