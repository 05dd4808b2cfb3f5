// An administrator's personal tokens for the management API, on PostgreSQL (issue 26, migration 0017).
import type { AdminTokenRecord, NewAdminToken } from '../records.js';
import { COLUMNS, createdRecord, INSERT_COLUMNS, LIVE, tokenTaken, toRecord, toValues, type AdminTokenRow } from '../rows/admin-tokens.js';
import type { AdminTokenRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('adminTokens.insert', `INSERT INTO admin_tokens (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`);
// token_hash is UNIQUE, so this is an index lookup: the token is found by its hash, never compared in the open.
const LIVE_BY_HASH = statement('adminTokens.live', `SELECT ${COLUMNS} FROM admin_tokens WHERE token_hash = $1 AND ${LIVE.replace('{now}', '$2')}`);
const BY_ID = statement('adminTokens.byId', `SELECT ${COLUMNS} FROM admin_tokens WHERE id = $1`);
const LIST = statement('adminTokens.list', `SELECT ${COLUMNS} FROM admin_tokens ORDER BY created_at DESC, id DESC`);
// One conditional write: of two revocations at once, the second waits for the first's row lock, re-checks the WHERE
// clause against the committed row and matches nothing.
const REVOKE = statement('adminTokens.revoke', `UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND ${LIVE.replace('{now}', '$2')}`);
const REVOKE_FOR_USER = statement('adminTokens.revokeForUser', `UPDATE admin_tokens SET revoked_at = $2 WHERE user_id = $1 AND ${LIVE.replace('{now}', '$2')}`);
// Never moves backwards (two nodes recording uses out of order).
const TOUCH = statement('adminTokens.touch', 'UPDATE admin_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)');
const DELETE_ENDED = statement('adminTokens.deleteEnded', 'DELETE FROM admin_tokens WHERE expires_at < $1 OR revoked_at < $1');

export class PostgresAdminTokenRepository implements AdminTokenRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(token: NewAdminToken): Promise<AdminTokenRecord> {
    try {
      await query(this.pool, INSERT, toValues(token));
    } catch (error) {
      if (isUniqueViolation(error)) throw tokenTaken(token);
      throw error;
    }
    return createdRecord(token);
  }

  async findLive(tokenHash: string, now: number): Promise<AdminTokenRecord | null> {
    const row = (await query<AdminTokenRow>(this.pool, LIVE_BY_HASH, [tokenHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<AdminTokenRecord | null> {
    const row = (await query<AdminTokenRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list(): Promise<AdminTokenRecord[]> {
    return (await query<AdminTokenRow>(this.pool, LIST)).rows.map(toRecord);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return ((await query(this.pool, REVOKE, [id, now])).rowCount ?? 0) > 0;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_USER, [userId, now])).rowCount ?? 0;
  }

  async touch(id: string, now: number): Promise<void> {
    await query(this.pool, TOUCH, [id, now]);
  }

  async deleteEnded(before: number): Promise<number> {
    return (await query(this.pool, DELETE_ENDED, [before])).rowCount ?? 0;
  }
}
