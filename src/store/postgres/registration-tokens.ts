// Initial access tokens for dynamic client registration, on PostgreSQL (issue 24, migration 0015).
import type { NewRegistrationToken, RegistrationTokenRecord } from '../records.js';
import { COLUMNS, tokenTaken, toRecord, toValues, USABLE, type RegistrationTokenRow } from '../rows/registration-tokens.js';
import type { RegistrationTokenRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const USABLE_AT = USABLE.replace('{now}', '$2');

const INSERT = statement('registrationTokens.insert', `INSERT INTO registration_tokens (${COLUMNS}) VALUES ($1, $2, $3, 0, $4, $5, $6)`);
const USABLE_BY_HASH = statement('registrationTokens.usable', `SELECT ${COLUMNS} FROM registration_tokens WHERE token_hash = $1 AND ${USABLE_AT}`);
// One conditional statement: of any number of registrations racing for a token's last use, the others wait for the
// winner's row lock, re-check the WHERE clause against the committed row (uses_left now 0) and match nothing.
// NULL - 1 is NULL: an unlimited token stays unlimited.
const USE = statement('registrationTokens.use', `UPDATE registration_tokens SET uses_left = uses_left - 1, used = used + 1 WHERE token_hash = $1 AND ${USABLE_AT} RETURNING ${COLUMNS}`);
const LIST = statement('registrationTokens.list', `SELECT ${COLUMNS} FROM registration_tokens ORDER BY created_at DESC, id DESC`);
const DELETE = statement('registrationTokens.delete', 'DELETE FROM registration_tokens WHERE id = $1');
// registration_tokens_by_expiry; a token without an expiry (NULL) never goes this way.
const DELETE_EXPIRED = statement('registrationTokens.deleteExpired', 'DELETE FROM registration_tokens WHERE expires_at <= $1');

export class PostgresRegistrationTokenRepository implements RegistrationTokenRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(token: NewRegistrationToken): Promise<RegistrationTokenRecord> {
    try {
      await query(this.pool, INSERT, toValues(token));
    } catch (error) {
      if (isUniqueViolation(error)) throw tokenTaken(token);
      throw error;
    }
    return { ...token, used: 0 };
  }

  async findUsable(tokenHash: string, now: number): Promise<RegistrationTokenRecord | null> {
    const row = (await query<RegistrationTokenRow>(this.pool, USABLE_BY_HASH, [tokenHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async use(tokenHash: string, now: number): Promise<RegistrationTokenRecord | null> {
    const row = (await query<RegistrationTokenRow>(this.pool, USE, [tokenHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list(): Promise<RegistrationTokenRecord[]> {
    return (await query<RegistrationTokenRow>(this.pool, LIST)).rows.map(toRecord);
  }

  async delete(id: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [id])).rowCount ?? 0) > 0;
  }

  /** A token counts as expired from its expires_at on, as in findUsable and use. */
  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
