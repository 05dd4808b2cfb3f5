import type { AuthorizationCodeRecord, NewAuthorizationCode } from '../records.js';
import type { AuthorizationCodeRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, type CodeRow } from '../rows/codes.js';

const INSERT = statement('codes.insert', `INSERT INTO authorization_codes (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, NULL, $16, $17, $18)`);
// One conditional statement, so of any number of concurrent redeemers exactly one sees a row (RFC 6749 §4.1.2):
// the others wait for its row lock, re-check the WHERE clause against the committed row, and match nothing.
const CONSUME = statement('codes.consume', `UPDATE authorization_codes SET consumed_at = $1 WHERE code_hash = $2 AND consumed_at IS NULL AND expires_at > $3 RETURNING ${COLUMNS}`);
const BY_HASH = statement('codes.byHash', `SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = $1`);
const DELETE_EXPIRED = statement('codes.deleteExpired', 'DELETE FROM authorization_codes WHERE expires_at <= $1');
// Marked used rather than deleted: a code presented later is still recognised (find) and answered as a replay.
const REVOKE_FOR_USER = statement('codes.revokeForUser', 'UPDATE authorization_codes SET consumed_at = $1 WHERE user_id = $2 AND consumed_at IS NULL');
const REVOKE_FOR_SESSION = statement('codes.revokeForSession', 'UPDATE authorization_codes SET consumed_at = $1 WHERE session_id_hash = $2 AND consumed_at IS NULL');
// Only unexpired codes: an expired one is refused anyway. authorization_codes_by_user finds the person's.
const REVOKE_FOR_USER_CLIENT = statement(
  'codes.revokeForUserClient',
  'UPDATE authorization_codes SET consumed_at = $1 WHERE user_id = $2 AND client_id = $3 AND consumed_at IS NULL AND expires_at > $1',
);
const MARK_REPLAYED = statement('codes.markReplayed', 'UPDATE authorization_codes SET replayed_at = $1 WHERE code_hash = $2 AND replayed_at IS NULL');

export class PostgresAuthorizationCodeRepository implements AuthorizationCodeRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(code: NewAuthorizationCode): Promise<void> {
    await query(this.pool, INSERT, [
      code.codeHash,
      code.grantId,
      code.clientId,
      code.userId,
      code.sessionIdHash,
      code.sid,
      JSON.stringify(code.amr),
      code.redirectUri,
      code.scope,
      code.nonce,
      code.codeChallenge,
      code.codeChallengeMethod,
      code.authTime,
      code.createdAt,
      code.expiresAt,
      JSON.stringify(code.resources),
      code.idp ?? null,
      code.dpopJkt ?? null,
    ]);
  }

  async consume(codeHash: string, now: number): Promise<AuthorizationCodeRecord | null> {
    const row = (await query<CodeRow>(this.pool, CONSUME, [now, codeHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async find(codeHash: string): Promise<AuthorizationCodeRecord | null> {
    const row = (await query<CodeRow>(this.pool, BY_HASH, [codeHash])).rows[0];
    return row ? toRecord(row) : null;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_USER, [now, userId])).rowCount ?? 0;
  }

  async revokeForSession(sessionIdHash: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_SESSION, [now, sessionIdHash])).rowCount ?? 0;
  }

  /** A code counts as expired from its expires_at on, as in consume. */
  async revokeForUserClient(userId: string, clientId: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_USER_CLIENT, [now, userId, clientId])).rowCount ?? 0;
  }

  async markReplayed(codeHash: string, now: number): Promise<void> {
    await query(this.pool, MARK_REPLAYED, [now, codeHash]);
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
