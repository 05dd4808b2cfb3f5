// Sign-in challenges (a second factor owed, a WebAuthn challenge) on SQLite.
import type { NewSignInChallenge, SignInChallengePurpose, SignInChallengeRecord } from '../records.js';
import type { SignInChallengeRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, toValues, type SignInChallengeRow, type SignInChallengeValues } from '../rows/sign-in-challenges.js';

export class SqliteSignInChallengeRepository implements SignInChallengeRepository {
  private readonly insertStmt;
  private readonly liveByHash;
  private readonly consumeStmt;
  private readonly deleteExpiredStmt;
  private readonly deleteForUserStmt;
  private readonly deleteForUserPurposeStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<SignInChallengeValues>(`INSERT INTO sign_in_challenges (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`);
    this.liveByHash = db.prepare<[string, SignInChallengePurpose, number], SignInChallengeRow>(
      `SELECT ${COLUMNS} FROM sign_in_challenges WHERE id_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`,
    );
    // One conditional statement, so of any number of concurrent answers to a challenge exactly one sees a row.
    this.consumeStmt = db.prepare<[number, string, SignInChallengePurpose, number], SignInChallengeRow>(
      `UPDATE sign_in_challenges SET used_at = ? WHERE id_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM sign_in_challenges WHERE expires_at <= ?');
    this.deleteForUserStmt = db.prepare<[string]>('DELETE FROM sign_in_challenges WHERE user_id = ?');
    this.deleteForUserPurposeStmt = db.prepare<[string, SignInChallengePurpose]>('DELETE FROM sign_in_challenges WHERE user_id = ? AND purpose = ?');
  }

  async create(challenge: NewSignInChallenge): Promise<void> {
    this.insertStmt.run(...toValues(challenge));
  }

  async findLive(idHash: string, purpose: SignInChallengePurpose, now: number): Promise<SignInChallengeRecord | null> {
    const row = this.liveByHash.get(idHash, purpose, now);
    return row ? toRecord(row) : null;
  }

  async consume(idHash: string, purpose: SignInChallengePurpose, now: number): Promise<SignInChallengeRecord | null> {
    const row = this.consumeStmt.get(now, idHash, purpose, now);
    return row ? toRecord(row) : null;
  }

  async deleteForUser(userId: string, purpose?: SignInChallengePurpose): Promise<number> {
    return (purpose === undefined ? this.deleteForUserStmt.run(userId) : this.deleteForUserPurposeStmt.run(userId, purpose)).changes;
  }

  /** A challenge counts as expired from its expires_at on, as in consume. */
  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
