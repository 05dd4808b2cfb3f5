import { decodeCursor, toPage } from '../cursor.js';
import { normalizeEmail } from '../normalize-email.js';
import type { NewUser, UserPatch, UserRecord } from '../records.js';
import type { ListOptions, UserRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';
import { COLUMNS, emailTaken, PATCH_COLUMNS, toRecord, type UserRow } from '../rows/users.js';

const INSERT = statement('users.insert', `INSERT INTO users (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`);
const BY_ID = statement('users.byId', `SELECT ${COLUMNS} FROM users WHERE id = $1`);
const BY_EMAIL = statement('users.byEmail', `SELECT ${COLUMNS} FROM users WHERE email_normalized = $1`);
const FIRST_PAGE = statement('users.firstPage', `SELECT ${COLUMNS} FROM users ORDER BY email_normalized LIMIT $1`);
const NEXT_PAGE = statement('users.nextPage', `SELECT ${COLUMNS} FROM users WHERE email_normalized > $1 ORDER BY email_normalized LIMIT $2`);
const DELETE = statement('users.delete', 'DELETE FROM users WHERE id = $1');

export class PostgresUserRepository implements UserRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(user: NewUser, now: number): Promise<UserRecord> {
    try {
      await query(this.pool, INSERT, [user.id, user.email, normalizeEmail(user.email), user.name, user.passwordHash,
        user.isAdmin, user.disabled, user.emailVerified, now, now]);
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(user.email);
      throw error;
    }
    return { ...user, createdAt: now, updatedAt: now };
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = (await query<UserRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = (await query<UserRow>(this.pool, BY_EMAIL, [normalizeEmail(email)])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list({ after, limit }: ListOptions) {
    const { rows } = after
      ? await query<UserRow>(this.pool, NEXT_PAGE, [decodeCursor(after, 1)[0] ?? '', limit + 1])
      : await query<UserRow>(this.pool, FIRST_PAGE, [limit + 1]);
    const page = toPage(rows, limit, (row) => [row.email_normalized]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async update(id: string, patch: UserPatch, now: number): Promise<UserRecord | null> {
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
    }
    assign('updated_at', now);
    values.push(id);
    try {
      const { rows } = await query<UserRow>(this.pool,
        `UPDATE users SET ${assignments.join(', ')} WHERE id = $${values.length} RETURNING ${COLUMNS}`, values);
      return rows[0] ? toRecord(rows[0]) : null;
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(patch.email ?? '');
      throw error;
    }
  }

  async delete(id: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [id])).rowCount ?? 0) > 0;
  }
}
