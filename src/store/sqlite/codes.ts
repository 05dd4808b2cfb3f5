import type { AuthorizationCodeRecord, NewAuthorizationCode } from '../records.js';
import type { AuthorizationCodeRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

interface CodeRow {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  session_id_hash: string | null;
  sid: string | null;
  amr: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth_time: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  replayed_at: number | null;
}

const COLUMNS = 'code_hash, grant_id, client_id, user_id, session_id_hash, sid, amr, redirect_uri, scope, nonce, code_challenge, '
  + 'code_challenge_method, auth_time, created_at, expires_at, consumed_at, replayed_at';

function toRecord(row: CodeRow): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    sid: row.sid,
    amr: JSON.parse(row.amr) as string[],
    redirectUri: row.redirect_uri,
    scope: row.scope,
    nonce: row.nonce,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as AuthorizationCodeRecord['codeChallengeMethod'],
    authTime: row.auth_time,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    replayedAt: row.replayed_at,
  };
}

export class SqliteAuthorizationCodeRepository implements AuthorizationCodeRepository {
  private readonly insertStmt;
  private readonly consumeStmt;
  private readonly byHash;
  private readonly deleteExpiredStmt;
  private readonly markReplayedStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO authorization_codes (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`);
    // One conditional statement, so of any number of concurrent redeemers exactly one sees a row (RFC 6749 §4.1.2).
    this.consumeStmt = db.prepare<[number, string, number], CodeRow>(
      `UPDATE authorization_codes SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    this.byHash = db.prepare<[string], CodeRow>(`SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = ?`);
    this.deleteExpiredStmt = db.prepare('DELETE FROM authorization_codes WHERE expires_at <= ?');
    this.markReplayedStmt = db.prepare('UPDATE authorization_codes SET replayed_at = ? WHERE code_hash = ? AND replayed_at IS NULL');
  }

  async create(code: NewAuthorizationCode): Promise<void> {
    this.insertStmt.run(code.codeHash, code.grantId, code.clientId, code.userId, code.sessionIdHash, code.sid, JSON.stringify(code.amr), code.redirectUri, code.scope,
      code.nonce, code.codeChallenge, code.codeChallengeMethod, code.authTime, code.createdAt, code.expiresAt);
  }

  async consume(codeHash: string, now: number): Promise<AuthorizationCodeRecord | null> {
    const row = this.consumeStmt.get(now, codeHash, now);
    return row ? toRecord(row) : null;
  }

  async find(codeHash: string): Promise<AuthorizationCodeRecord | null> {
    const row = this.byHash.get(codeHash);
    return row ? toRecord(row) : null;
  }

  /** A code counts as expired from its expires_at on, as in consume. */
  async markReplayed(codeHash: string, now: number): Promise<void> {
    this.markReplayedStmt.run(now, codeHash);
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
