// Recovery codes on SQLite.
import type { RecoveryCodeRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS } from '../rows/recovery-codes.js';

export class SqliteRecoveryCodeRepository implements RecoveryCodeRepository {
  private readonly replaceTx;
  private readonly consumeStmt;
  private readonly countUnusedStmt;
  private readonly deleteForUser;

  constructor(db: SqliteDatabase) {
    const insert = db.prepare<[string, string, number]>(`INSERT INTO recovery_codes (${COLUMNS}) VALUES (?, ?, ?, NULL)`);
    this.deleteForUser = db.prepare<[string]>('DELETE FROM recovery_codes WHERE user_id = ?');
    // The old set and the new one in one transaction: nobody ever sees both, or neither. On the writer thread the
    // call already runs in the batch's transaction (group-commit.ts), and better-sqlite3 makes this a savepoint.
    this.replaceTx = db.transaction((userId: string, codeHashes: string[], now: number): void => {
      this.deleteForUser.run(userId);
      for (const codeHash of codeHashes) insert.run(userId, codeHash, now);
    });
    // One conditional statement, so of any number of concurrent uses of a code exactly one succeeds.
    this.consumeStmt = db.prepare<[number, string, string]>('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL');
    this.countUnusedStmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL');
  }

  async replace(userId: string, codeHashes: string[], now: number): Promise<void> {
    this.replaceTx.immediate(userId, codeHashes, now);
  }

  async consume(userId: string, codeHash: string, now: number): Promise<boolean> {
    return this.consumeStmt.run(now, userId, codeHash).changes > 0;
  }

  async countUnused(userId: string): Promise<number> {
    return this.countUnusedStmt.get(userId)?.n ?? 0;
  }

  async removeAll(userId: string): Promise<number> {
    return this.deleteForUser.run(userId).changes;
  }
}
