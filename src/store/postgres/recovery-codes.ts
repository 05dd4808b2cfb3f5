// Recovery codes on PostgreSQL.
import type { RecoveryCodeRepository } from '../store.js';
import { inTransaction, query, statement, type PostgresPool } from './database.js';
import { COLUMNS } from '../rows/recovery-codes.js';

/**
 * Two replacements at once must not leave both new sets: each locks the person's row first (FOR NO KEY UPDATE,
 * which conflicts with itself but not with the foreign-key checks of inserts referencing the person), so the
 * second deletes what the first inserted. A person who does not exist locks nothing, and the inserts fail.
 */
const LOCK_USER = statement('recoveryCodes.lockUser', 'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE');
const DELETE_FOR_USER = statement('recoveryCodes.deleteForUser', 'DELETE FROM recovery_codes WHERE user_id = $1');
const INSERT_ALL = statement('recoveryCodes.insertAll', `INSERT INTO recovery_codes (${COLUMNS}) SELECT $1::text, code_hash, $3::bigint, NULL::bigint FROM unnest($2::text[]) AS code_hash`);
// One conditional statement, so of any number of concurrent uses of a code exactly one succeeds: the others wait
// for its row lock, re-check the WHERE clause against the committed row, and match nothing.
const CONSUME = statement('recoveryCodes.consume', 'UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL');
const COUNT_UNUSED = statement('recoveryCodes.countUnused', 'SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL');

export class PostgresRecoveryCodeRepository implements RecoveryCodeRepository {
  constructor(private readonly pool: PostgresPool) {}

  async replace(userId: string, codeHashes: string[], now: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query({ name: LOCK_USER.name, text: LOCK_USER.text, values: [userId] });
      await client.query({ name: DELETE_FOR_USER.name, text: DELETE_FOR_USER.text, values: [userId] });
      await client.query({ name: INSERT_ALL.name, text: INSERT_ALL.text, values: [userId, codeHashes, now] });
    });
  }

  async consume(userId: string, codeHash: string, now: number): Promise<boolean> {
    return ((await query(this.pool, CONSUME, [now, userId, codeHash])).rowCount ?? 0) > 0;
  }

  async countUnused(userId: string): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT_UNUSED, [userId])).rows[0]?.n ?? 0;
  }

  async removeAll(userId: string): Promise<number> {
    return (await query(this.pool, DELETE_FOR_USER, [userId])).rowCount ?? 0;
  }
}
