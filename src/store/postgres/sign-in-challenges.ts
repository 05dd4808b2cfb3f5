// Sign-in challenges (a second factor owed, a WebAuthn challenge) on PostgreSQL.
import type { NewSignInChallenge, SignInChallengePurpose, SignInChallengeRecord } from '../records.js';
import type { SignInChallengeRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, toValues, type SignInChallengeRow } from '../rows/sign-in-challenges.js';

const INSERT = statement('signInChallenges.insert', `INSERT INTO sign_in_challenges (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`);
const LIVE_BY_HASH = statement('signInChallenges.liveByHash', `SELECT ${COLUMNS} FROM sign_in_challenges WHERE id_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`);
// One conditional statement, so of any number of concurrent answers to a challenge exactly one sees a row: the
// others wait for its row lock, re-check the WHERE clause against the committed row, and match nothing.
const CONSUME = statement(
  'signInChallenges.consume',
  `UPDATE sign_in_challenges SET used_at = $1 WHERE id_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $4 RETURNING ${COLUMNS}`,
);
const DELETE_EXPIRED = statement('signInChallenges.deleteExpired', 'DELETE FROM sign_in_challenges WHERE expires_at <= $1');
const DELETE_FOR_USER = statement('signInChallenges.deleteForUser', 'DELETE FROM sign_in_challenges WHERE user_id = $1');
const DELETE_FOR_USER_PURPOSE = statement('signInChallenges.deleteForUserPurpose', 'DELETE FROM sign_in_challenges WHERE user_id = $1 AND purpose = $2');

export class PostgresSignInChallengeRepository implements SignInChallengeRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(challenge: NewSignInChallenge): Promise<void> {
    await query(this.pool, INSERT, toValues(challenge));
  }

  async findLive(idHash: string, purpose: SignInChallengePurpose, now: number): Promise<SignInChallengeRecord | null> {
    const row = (await query<SignInChallengeRow>(this.pool, LIVE_BY_HASH, [idHash, purpose, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async consume(idHash: string, purpose: SignInChallengePurpose, now: number): Promise<SignInChallengeRecord | null> {
    const row = (await query<SignInChallengeRow>(this.pool, CONSUME, [now, idHash, purpose, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async deleteForUser(userId: string, purpose?: SignInChallengePurpose): Promise<number> {
    const result = purpose === undefined ? await query(this.pool, DELETE_FOR_USER, [userId]) : await query(this.pool, DELETE_FOR_USER_PURPOSE, [userId, purpose]);
    return result.rowCount ?? 0;
  }

  /** A challenge counts as expired from its expires_at on, as in consume. */
  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
