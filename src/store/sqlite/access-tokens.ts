import type { AccessTokenRecord, GrantReference, NewAccessToken } from '../records.js';
import type { AccessTokenRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, toValues, type AccessTokenRow, type AccessTokenValues } from '../rows/access-tokens.js';

export class SqliteAccessTokenRepository implements AccessTokenRepository {
  private readonly insertStmt;
  private readonly liveByJti;
  private readonly revokeGrantStmt;
  private readonly revokeForUserStmt;
  private readonly revokeStmt;
  private readonly revokeForSessionStmt;
  private readonly grantsByKid;
  private readonly deleteExpiredStmt;
  private readonly revokeForUserClientStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<AccessTokenValues>(`INSERT INTO access_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.liveByJti = db.prepare<[string, number], AccessTokenRow>(`SELECT ${COLUMNS} FROM access_tokens WHERE jti = ? AND revoked_at IS NULL AND expires_at > ?`);
    this.revokeGrantStmt = db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL');
    this.revokeForUserStmt = db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
    this.revokeStmt = db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL');
    this.revokeForSessionStmt = db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE session_id_hash = ? AND revoked_at IS NULL');
    this.grantsByKid = db.prepare<[string], { grant_id: string; session_id_hash: string | null }>('SELECT DISTINCT grant_id, session_id_hash FROM access_tokens WHERE kid = ? ORDER BY grant_id');
    this.deleteExpiredStmt = db.prepare('DELETE FROM access_tokens WHERE expires_at <= ?');
    // Only live tokens: an expired one is refused anyway (findLive). INDEXED BY, because without statistics the
    // planner prefers access_tokens_by_client, which holds every person's tokens at the client.
    this.revokeForUserClientStmt = db.prepare<[number, string, string, number]>(
      'UPDATE access_tokens INDEXED BY access_tokens_by_user SET revoked_at = ? WHERE user_id = ? AND client_id = ? AND revoked_at IS NULL AND expires_at > ?',
    );
  }

  async create(token: NewAccessToken): Promise<void> {
    this.createNow(token);
  }

  /** create(), synchronously: for a caller's transaction (issuance.ts). */
  createNow(token: NewAccessToken): void {
    this.insertStmt.run(...toValues(token));
  }

  async findLive(jti: string, now: number): Promise<AccessTokenRecord | null> {
    const row = this.liveByJti.get(jti, now);
    return row ? toRecord(row) : null;
  }

  async revokeGrant(grantId: string, now: number): Promise<number> {
    return this.revokeGrantStmt.run(now, grantId).changes;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return this.revokeForUserStmt.run(now, userId).changes;
  }

  async revoke(jti: string, now: number): Promise<boolean> {
    return this.revokeStmt.run(now, jti).changes > 0;
  }

  async revokeForSession(sessionIdHash: string, now: number): Promise<number> {
    return this.revokeForSessionStmt.run(now, sessionIdHash).changes;
  }

  async revokeForUserClient(userId: string, clientId: string, now: number): Promise<number> {
    return this.revokeForUserClientStmt.run(now, userId, clientId, now).changes;
  }

  async grantsSignedBy(kid: string): Promise<GrantReference[]> {
    return this.grantsByKid.all(kid).map((row) => ({ grantId: row.grant_id, sessionIdHash: row.session_id_hash }));
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
