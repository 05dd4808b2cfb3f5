import type { AccessTokenRecord, GrantReference, NewAccessToken } from '../records.js';
import type { AccessTokenRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, toValues, type AccessTokenRow } from '../rows/access-tokens.js';

const INSERT = statement('accessTokens.insert', `INSERT INTO access_tokens (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`);
const LIVE_BY_JTI = statement('accessTokens.liveByJti', `SELECT ${COLUMNS} FROM access_tokens WHERE jti = $1 AND revoked_at IS NULL AND expires_at > $2`);
const REVOKE_GRANT = statement('accessTokens.revokeGrant', 'UPDATE access_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL');
const REVOKE_FOR_USER = statement('accessTokens.revokeForUser', 'UPDATE access_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL');
const REVOKE = statement('accessTokens.revoke', 'UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL');
const REVOKE_FOR_SESSION = statement('accessTokens.revokeForSession', 'UPDATE access_tokens SET revoked_at = $1 WHERE session_id_hash = $2 AND revoked_at IS NULL');
const GRANTS_BY_KID = statement('accessTokens.grantsByKid', 'SELECT DISTINCT grant_id, session_id_hash FROM access_tokens WHERE kid = $1 ORDER BY grant_id');
const DELETE_EXPIRED = statement('accessTokens.deleteExpired', 'DELETE FROM access_tokens WHERE expires_at <= $1');
// Only live tokens: an expired one is refused anyway (findLive). access_tokens_by_user finds the person's.
const REVOKE_FOR_USER_CLIENT = statement(
  'accessTokens.revokeForUserClient',
  'UPDATE access_tokens SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL AND expires_at > $1',
);

export class PostgresAccessTokenRepository implements AccessTokenRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(token: NewAccessToken): Promise<void> {
    await query(this.pool, INSERT, toValues(token));
  }

  async findLive(jti: string, now: number): Promise<AccessTokenRecord | null> {
    const row = (await query<AccessTokenRow>(this.pool, LIVE_BY_JTI, [jti, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async revokeGrant(grantId: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_GRANT, [now, grantId])).rowCount ?? 0;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_USER, [now, userId])).rowCount ?? 0;
  }

  async revoke(jti: string, now: number): Promise<boolean> {
    return ((await query(this.pool, REVOKE, [now, jti])).rowCount ?? 0) > 0;
  }

  async revokeForSession(sessionIdHash: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_SESSION, [now, sessionIdHash])).rowCount ?? 0;
  }

  async revokeForUserClient(userId: string, clientId: string, now: number): Promise<number> {
    return (await query(this.pool, REVOKE_FOR_USER_CLIENT, [now, userId, clientId])).rowCount ?? 0;
  }

  async grantsSignedBy(kid: string): Promise<GrantReference[]> {
    const { rows } = await query<{ grant_id: string; session_id_hash: string | null }>(this.pool, GRANTS_BY_KID, [kid]);
    return rows.map((row) => ({ grantId: row.grant_id, sessionIdHash: row.session_id_hash }));
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
