// Password reset and email verification tokens on PostgreSQL.
import type { AccountTokenPurpose, AccountTokenRecord, NewAccountToken } from '../records.js';
import type { AccountTokenRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, toValues, type AccountTokenRow } from '../rows/account-tokens.js';

const INSERT = statement('accountTokens.insert', `INSERT INTO account_tokens (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL)`);
const LIVE_BY_HASH = statement('accountTokens.liveByHash', `SELECT ${COLUMNS} FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`);
// One conditional statement, so of any number of concurrent users of a link exactly one sees a row: the others
// wait for its row lock, re-check the WHERE clause against the committed row, and match nothing.
const CONSUME = statement('accountTokens.consume', `UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $4 RETURNING ${COLUMNS}`);
// Marked used rather than deleted, as codes are: a replaced link then reads like a used one.
const REVOKE_FOR_USER = statement('accountTokens.revokeForUser', 'UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL');
const DELETE_EXPIRED = statement('accountTokens.deleteExpired', 'DELETE FROM account_tokens WHERE expires_at <= $1');

export class PostgresAccountTokenRepository implements AccountTokenRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(token: NewAccountToken): Promise<void> {
    await query(this.pool, INSERT, toValues(token));
  }

  async findLive(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<AccountTokenRecord | null> {
    const row = (await query<AccountTokenRow>(this.pool, LIVE_BY_HASH, [tokenHash, purpose, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async consume(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<AccountTokenRecord | null> {
    const row = (await query<AccountTokenRow>(this.pool, CONSUME, [now, tokenHash, purpose, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async revokeForUser(userId: string, purpose: AccountTokenPurpose, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_USER, [now, userId, purpose])).rowCount ?? 0;
  }

  /** A token counts as expired from its expires_at on, as in consume. */
  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
