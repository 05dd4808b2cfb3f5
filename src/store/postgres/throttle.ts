// Throttle counters on PostgreSQL. An attempt locks the key's row (FOR UPDATE), applies the shared arithmetic in
// JavaScript and writes the result, in one transaction on one pooled connection: concurrent attempts on any number
// of nodes queue on the row lock, and each reads the count the one before it committed.
import type pg from 'pg';
import { countAttempt, refundAttempt, type ThrottleCounter, type ThrottleRule, type ThrottleVerdict } from '../throttle-counter.js';
import type { ThrottleRepository } from '../store.js';
import { inTransaction, query, statement, type PostgresPool, type Statement } from './database.js';
import { COLUMNS, toCounter, toValues, UPDATE_FROM_EXCLUDED, type ThrottleRow } from '../rows/throttle.js';

const BY_KEY = statement('throttle.byKey', `SELECT ${COLUMNS} FROM throttle_counters WHERE key = $1`);
const LIVE_BY_KEY = statement('throttle.liveByKey', `SELECT ${COLUMNS} FROM throttle_counters WHERE key = $1 AND expires_at > $2`);
const LOCK = statement('throttle.lock', `SELECT ${COLUMNS} FROM throttle_counters WHERE key = $1 FOR UPDATE`);
/**
 * A row that does not exist cannot be locked with FOR UPDATE, so the first attempt on a key inserts one to hold
 * the lock: already expired at `now` (expires_at = $2), it reads as no counter at all (countAttempt treats an
 * expired counter as absent), and the attempt overwrites it before committing, so nobody else ever sees it.
 * Two first attempts conflict on the key; the second waits for the first to commit, then DO UPDATE locks the row
 * the first left and returns it (or inserts, if that one was deleted meanwhile): no retry loop.
 */
const LOCK_NEW = statement(
  'throttle.lockNew',
  `INSERT INTO throttle_counters (${COLUMNS}) VALUES ($1, 0, $2, NULL, $2, $2) ` + `ON CONFLICT (key) DO UPDATE SET attempts = throttle_counters.attempts RETURNING ${COLUMNS}`,
);
const UPSERT = statement('throttle.upsert', `INSERT INTO throttle_counters (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET ${UPDATE_FROM_EXCLUDED}`);
const DELETE = statement('throttle.delete', 'DELETE FROM throttle_counters WHERE key = $1');
const DELETE_EXPIRED = statement('throttle.deleteExpired', 'DELETE FROM throttle_counters WHERE expires_at <= $1');

async function run<R extends pg.QueryResultRow>(client: pg.PoolClient, sql: Statement, values: unknown[]): Promise<R[]> {
  return (await client.query<R>({ name: sql.name, text: sql.text, values })).rows;
}

/**
 * The key's counter, its row locked until the transaction ends (inserted, expired, if there was none). `exists`
 * says whether a read a moment ago found the row: if not, the likely absent row is inserted at once.
 */
async function lock(client: pg.PoolClient, key: string, now: number, exists: boolean): Promise<ThrottleCounter> {
  const row = (exists ? (await run<ThrottleRow>(client, LOCK, [key]))[0] : undefined) ?? (await run<ThrottleRow>(client, LOCK_NEW, [key, now]))[0];
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  return toCounter(row);
}

export class PostgresThrottleRepository implements ThrottleRepository {
  constructor(private readonly pool: PostgresPool) {}

  async attempt(key: string, rule: ThrottleRule, now: number): Promise<ThrottleVerdict> {
    // A blocked key is refused on a plain read, without a transaction or a lock: refusing changes nothing, and a
    // committed block is a fact at the moment of the read. Under a brute-force attack most attempts end here, in
    // one round trip, instead of queueing on the row lock.
    const seen = (await query<ThrottleRow>(this.pool, BY_KEY, [key])).rows[0];
    const refused = countAttempt(seen ? toCounter(seen) : null, key, rule, now);
    if (!refused.next) return refused.verdict;
    return inTransaction(this.pool, async (client) => {
      const { verdict, next } = countAttempt(await lock(client, key, now, seen !== undefined), key, rule, now);
      if (next) await run(client, UPSERT, toValues(next));
      return verdict;
    });
  }

  async peek(key: string, now: number): Promise<ThrottleCounter | null> {
    const row = (await query<ThrottleRow>(this.pool, LIVE_BY_KEY, [key, now])).rows[0];
    return row ? toCounter(row) : null;
  }

  async refund(key: string, rule: ThrottleRule, now: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const row = (await run<ThrottleRow>(client, LOCK, [key]))[0];
      if (!row) return;
      const next = refundAttempt(toCounter(row), rule, now);
      if (next) await run(client, UPSERT, toValues(next));
      else await run(client, DELETE, [key]);
    });
  }

  async clear(key: string): Promise<void> {
    await query(this.pool, DELETE, [key]);
  }

  /** A counter counts as expired from its expires_at on, as countAttempt sees it. */
  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
