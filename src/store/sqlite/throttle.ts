// Throttle counters on SQLite. Each attempt reads the counter, applies the shared arithmetic and writes the result
// in one IMMEDIATE transaction: several processes may share the file (the server's writer thread and the `idp`
// tool), and BEGIN IMMEDIATE takes SQLite's one write lock before the read, so no other attempt on any
// connection lands between the read and the write. On the writer thread the call already runs inside the
// batch's BEGIN IMMEDIATE (group-commit.ts), and better-sqlite3 turns the nested transaction into a savepoint.
import { countAttempt, refundAttempt, type ThrottleCounter, type ThrottleRule, type ThrottleVerdict } from '../throttle-counter.js';
import type { ThrottleRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toCounter, toValues, UPDATE_FROM_EXCLUDED, type ThrottleRow, type ThrottleValues } from '../rows/throttle.js';

export class SqliteThrottleRepository implements ThrottleRepository {
  private readonly attemptTx;
  private readonly liveByKey;
  private readonly refundTx;
  private readonly deleteStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    const byKey = db.prepare<[string], ThrottleRow>(`SELECT ${COLUMNS} FROM throttle_counters WHERE key = ?`);
    const upsert = db.prepare<ThrottleValues>(`INSERT INTO throttle_counters (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET ${UPDATE_FROM_EXCLUDED}`);
    this.liveByKey = db.prepare<[string, number], ThrottleRow>(`SELECT ${COLUMNS} FROM throttle_counters WHERE key = ? AND expires_at > ?`);
    this.deleteStmt = db.prepare<[string]>('DELETE FROM throttle_counters WHERE key = ?');
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM throttle_counters WHERE expires_at <= ?');

    const read = (key: string) => {
      const row = byKey.get(key);
      return row ? toCounter(row) : null;
    };
    this.attemptTx = db.transaction((key: string, rule: ThrottleRule, now: number): ThrottleVerdict => {
      const { verdict, next } = countAttempt(read(key), key, rule, now);
      // A refused attempt changes nothing.
      if (next) upsert.run(...toValues(next));
      return verdict;
    });
    this.refundTx = db.transaction((key: string, rule: ThrottleRule, now: number): void => {
      const stored = read(key);
      if (!stored) return;
      const next = refundAttempt(stored, rule, now);
      if (next) upsert.run(...toValues(next));
      else this.deleteStmt.run(key);
    });
  }

  async attempt(key: string, rule: ThrottleRule, now: number): Promise<ThrottleVerdict> {
    return this.attemptTx.immediate(key, rule, now);
  }

  async peek(key: string, now: number): Promise<ThrottleCounter | null> {
    const row = this.liveByKey.get(key, now);
    return row ? toCounter(row) : null;
  }

  async refund(key: string, rule: ThrottleRule, now: number): Promise<void> {
    this.refundTx.immediate(key, rule, now);
  }

  async clear(key: string): Promise<void> {
    this.deleteStmt.run(key);
  }

  /** A counter counts as expired from its expires_at on, as countAttempt sees it. */
  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
