import type { AuthorizationCodeRecord, NewAuthorizationCode } from '../records.js';
import type { AuthorizationCodeRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, type CodeRow } from '../rows/codes.js';

export class SqliteAuthorizationCodeRepository implements AuthorizationCodeRepository {
  private readonly insertStmt;
  private readonly consumeStmt;
  private readonly byHash;
  private readonly deleteExpiredStmt;
  private readonly markReplayedStmt;
  private readonly revokeForUserStmt;
  private readonly revokeForSessionStmt;
  private readonly revokeForUserClientStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO authorization_codes (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)`);
    // One conditional statement, so of any number of concurrent redeemers exactly one sees a row (RFC 6749 §4.1.2).
    this.consumeStmt = db.prepare<[number, string, number], CodeRow>(
      `UPDATE authorization_codes SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    this.byHash = db.prepare<[string], CodeRow>(`SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = ?`);
    this.deleteExpiredStmt = db.prepare('DELETE FROM authorization_codes WHERE expires_at <= ?');
    this.markReplayedStmt = db.prepare('UPDATE authorization_codes SET replayed_at = ? WHERE code_hash = ? AND replayed_at IS NULL');
    // Marked used rather than deleted: a code presented later is still recognised (find) and answered as a replay.
    this.revokeForUserStmt = db.prepare('UPDATE authorization_codes SET consumed_at = ? WHERE user_id = ? AND consumed_at IS NULL');
    this.revokeForSessionStmt = db.prepare('UPDATE authorization_codes SET consumed_at = ? WHERE session_id_hash = ? AND consumed_at IS NULL');
    // Only unexpired codes: an expired one is refused anyway. INDEXED BY, because without statistics the planner
    // prefers authorization_codes_by_client, which holds every person's codes at the client.
    this.revokeForUserClientStmt = db.prepare<[number, string, string, number]>(
      'UPDATE authorization_codes INDEXED BY authorization_codes_by_user SET consumed_at = ? WHERE user_id = ? AND client_id = ? AND consumed_at IS NULL AND expires_at > ?',
    );
  }

  async create(code: NewAuthorizationCode): Promise<void> {
    this.insertStmt.run(
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
    );
  }

  async consume(codeHash: string, now: number): Promise<AuthorizationCodeRecord | null> {
    const row = this.consumeStmt.get(now, codeHash, now);
    return row ? toRecord(row) : null;
  }

  /** consume(), synchronously and without the row: for a caller's transaction (issuance.ts). */
  consumeNow(codeHash: string, now: number): boolean {
    return this.consumeStmt.get(now, codeHash, now) !== undefined;
  }

  async find(codeHash: string): Promise<AuthorizationCodeRecord | null> {
    const row = this.byHash.get(codeHash);
    return row ? toRecord(row) : null;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return this.revokeForUserStmt.run(now, userId).changes;
  }

  async revokeForSession(sessionIdHash: string, now: number): Promise<number> {
    return this.revokeForSessionStmt.run(now, sessionIdHash).changes;
  }

  async revokeForUserClient(userId: string, clientId: string, now: number): Promise<number> {
    return this.revokeForUserClientStmt.run(now, userId, clientId, now).changes;
  }

  /** A code counts as expired from its expires_at on, as in consume. */
  async markReplayed(codeHash: string, now: number): Promise<void> {
    this.markReplayedStmt.run(now, codeHash);
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
