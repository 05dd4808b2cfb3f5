import type { ClientTokenSummary, GrantReference, NewRefreshToken, RefreshTokenRecord } from '../records.js';
import type { RefreshTokenRepository } from '../store.js';
import { query, statement, type PostgresPool, type Statement } from './database.js';
import { CLIENT_SCOPES, clientSummaries, COLUMNS, countLive, toRecord, type ClientScopeRow, type RefreshTokenRow, type RevokedRow } from '../rows/refresh-tokens.js';

/**
 * Whether the space-separated scope holds offline_access, compared exactly (RFC 6749 §3.3: scope tokens are
 * case-sensitive); strpos, unlike LIKE, has no wildcard in `_`.
 */
const OFFLINE = "strpos(' ' || scope || ' ', ' offline_access ') > 0";

const INSERT = statement(
  'refreshTokens.insert',
  `INSERT INTO refresh_tokens (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, $14, $15, $16) ON CONFLICT (token_hash) DO NOTHING`,
);
const BY_HASH = statement('refreshTokens.byHash', `SELECT ${COLUMNS} FROM refresh_tokens WHERE token_hash = $1`);
// One conditional statement, so of any number of concurrent rotations exactly one sees a row (RFC 9700 §4.14.2):
// the others wait for its row lock, re-check the WHERE clause against the committed row, and match nothing.
const ROTATE = statement(
  'refreshTokens.rotate',
  `UPDATE refresh_tokens SET rotated_at = $1 WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $3 RETURNING ${COLUMNS}`,
);
// Already revoked tokens keep the time they were first revoked.
const REVOKE_GRANT = statement('refreshTokens.revokeGrant', 'UPDATE refresh_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL');
const REVOKE_FOR_USER = statement('refreshTokens.revokeForUser', 'UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL');
const REVOKE_FOR_SESSION = statement('refreshTokens.revokeForSession', 'UPDATE refresh_tokens SET revoked_at = $1 WHERE session_id_hash = $2 AND revoked_at IS NULL');
const REVOKE_ONLINE_FOR_SESSION = statement(
  'refreshTokens.revokeOnlineForSession',
  `UPDATE refresh_tokens SET revoked_at = $1 WHERE session_id_hash = $2 AND revoked_at IS NULL AND NOT ${OFFLINE}`,
);
const CLIENT_SCOPES_OF_USER = statement('refreshTokens.clientScopesOfUser', CLIENT_SCOPES.replace('{user}', '$1').replace('{now}', '$2'));
// Every unrevoked, unexpired token of the person at the client, rotated ones too (a retry within the reuse grace
// presents a rotated token); refresh_tokens_by_user finds them.
const REVOKE_FOR_USER_CLIENT = statement(
  'refreshTokens.revokeForUserClient',
  'UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL AND expires_at > $1 RETURNING rotated_at IS NULL AS live',
);
const GRANTS_BY_KID = statement('refreshTokens.grantsByKid', 'SELECT DISTINCT grant_id, session_id_hash FROM refresh_tokens WHERE kid = $1 ORDER BY grant_id');

/**
 * Runs a family sweep twice, each its own committed statement, and counts what both revoked. Under READ COMMITTED
 * a sweep sees the rows of the snapshot its statement began with, so a successor recorded by a refresh that won
 * its rotation meanwhile can escape the first sweep. The refresh reads its spent token after recording the
 * successor (src/oidc/grants/refresh-token.ts): either that read sees the first sweep's revocation and revokes
 * again, or it came before the first sweep committed, so the successor was recorded before the second sweep's
 * snapshot and the second sweep revokes it. Every family member is swept by the first (a rotated token is not yet
 * revoked), so its commit is what the refresh sees (test/store/postgres-revocation-race.test.ts forces the race).
 */
async function sweepTwice(pool: PostgresPool, sql: Statement, params: unknown[]): Promise<number> {
  const first = (await query(pool, sql, params)).rowCount ?? 0;
  const second = (await query(pool, sql, params)).rowCount ?? 0;
  return first + second;
}

export class PostgresRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(token: NewRefreshToken): Promise<void> {
    await query(this.pool, INSERT, [
      token.tokenHash,
      token.grantId,
      token.clientId,
      token.userId,
      token.sessionIdHash,
      token.sid,
      JSON.stringify(token.amr),
      token.scope,
      token.authTime,
      token.createdAt,
      token.expiresAt,
      token.grantExpiresAt,
      token.kid,
      JSON.stringify(token.resources),
      token.idp ?? null,
      token.jkt ?? null,
    ]);
  }

  async find(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const row = (await query<RefreshTokenRow>(this.pool, BY_HASH, [tokenHash])).rows[0];
    return row ? toRecord(row) : null;
  }

  async rotate(tokenHash: string, now: number): Promise<RefreshTokenRecord | null> {
    const row = (await query<RefreshTokenRow>(this.pool, ROTATE, [now, tokenHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async revokeGrant(grantId: string, now: number): Promise<number> {
    return sweepTwice(this.pool, REVOKE_GRANT, [now, grantId]);
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return sweepTwice(this.pool, REVOKE_FOR_USER, [now, userId]);
  }

  async revokeForSession(sessionIdHash: string, now: number, options: { keepOffline: boolean }): Promise<number> {
    const sql = options.keepOffline ? REVOKE_ONLINE_FOR_SESSION : REVOKE_FOR_SESSION;
    return sweepTwice(this.pool, sql, [now, sessionIdHash]);
  }

  async grantsSignedBy(kid: string): Promise<GrantReference[]> {
    const { rows } = await query<{ grant_id: string; session_id_hash: string | null }>(this.pool, GRANTS_BY_KID, [kid]);
    return rows.map((row) => ({ grantId: row.grant_id, sessionIdHash: row.session_id_hash }));
  }

  async clientsOfUser(userId: string, now: number): Promise<ClientTokenSummary[]> {
    return clientSummaries((await query<ClientScopeRow>(this.pool, CLIENT_SCOPES_OF_USER, [userId, now])).rows);
  }

  /** Swept twice, as the family sweeps above are: a refresh that won its rotation meanwhile cannot leave a live successor. */
  async revokeForUserClient(userId: string, clientId: string, now: number): Promise<number> {
    const first = (await query<RevokedRow>(this.pool, REVOKE_FOR_USER_CLIENT, [now, userId, clientId])).rows;
    const second = (await query<RevokedRow>(this.pool, REVOKE_FOR_USER_CLIENT, [now, userId, clientId])).rows;
    return countLive(first) + countLive(second);
  }
}
