import type { SessionRecord } from '../records.js';
import type { SessionRepository } from '../store.js';
import { isForeignKeyViolation, query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, toValues, type SessionRow } from '../rows/sessions.js';

const INSERT = statement('sessions.insert', `INSERT INTO sessions (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`);
const LIVE_BY_ID = statement('sessions.liveById', `SELECT ${COLUMNS} FROM sessions WHERE id_hash = $1 AND expires_at > $2`);
const LIVE_BY_SID = statement('sessions.liveBySid', `SELECT ${COLUMNS} FROM sessions WHERE sid = $1 AND expires_at > $2`);
const COUNT_LIVE = statement('sessions.countLive', 'SELECT count(*) AS n FROM sessions WHERE expires_at > $1');
const TOUCH = statement('sessions.touch', 'UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2');
// Re-entering the password is also being seen; auth_time stays the sign-in's (SessionRepository.reauthenticate).
const REAUTHENTICATE = statement('sessions.reauthenticate', 'UPDATE sessions SET reauthenticated_at = $1, last_seen_at = $1 WHERE id_hash = $2');
const LIVE_FOR_USER = statement('sessions.liveForUser', `SELECT ${COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash`);
const DELETE = statement('sessions.delete', 'DELETE FROM sessions WHERE id_hash = $1');
const DELETE_FOR_USER = statement('sessions.deleteForUser', 'DELETE FROM sessions WHERE user_id = $1');
// A session that has already ended gains no clients (the INSERT … SELECT finds no row). The casts are needed
// because a parameter in a SELECT list takes no type from the column it is inserted into.
const ADD_CLIENT = statement(
  'sessions.addClient',
  'INSERT INTO session_clients (sid, client_id, first_issued_at) SELECT sid, $1::text, $2::bigint FROM sessions WHERE sid = $3 ' + 'ON CONFLICT (sid, client_id) DO NOTHING',
);
const CLIENTS_OF = statement('sessions.clientsOf', 'SELECT client_id FROM session_clients WHERE sid = $1 ORDER BY first_issued_at, client_id');
const DELETE_EXPIRED = statement('sessions.deleteExpired', 'DELETE FROM sessions WHERE expires_at <= $1');
// One statement, one winner per session however many nodes run it: the rows are locked as they are chosen, and
// those another caller holds are skipped (SKIP LOCKED); a session touched meanwhile is checked again under its
// lock. Every part of the statement reads the snapshot taken at its start, so the client list is read as it was
// before the delete (whose ON DELETE CASCADE runs at the statement's end). No session is last seen at a negative
// instant: without an idle cutoff ($3 = -1) only the expiry counts.
const TAKE_EXPIRED = statement(
  'sessions.takeExpired',
  `WITH taken AS (DELETE FROM sessions WHERE id_hash IN (` +
    `SELECT id_hash FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $3 ORDER BY expires_at, id_hash LIMIT $2 FOR UPDATE SKIP LOCKED` +
    `) RETURNING ${COLUMNS}) ` +
    `SELECT taken.*, ARRAY(SELECT client_id FROM session_clients c WHERE c.sid = taken.sid ORDER BY first_issued_at, client_id) AS client_ids ` +
    `FROM taken ORDER BY expires_at, id_hash`,
);

export class PostgresSessionRepository implements SessionRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(session: SessionRecord): Promise<void> {
    await query(this.pool, INSERT, toValues(session));
  }

  async findLive(idHash: string, now: number): Promise<SessionRecord | null> {
    const row = (await query<SessionRow>(this.pool, LIVE_BY_ID, [idHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async touch(idHash: string, now: number): Promise<void> {
    await query(this.pool, TOUCH, [now, idHash]);
  }

  async findLiveBySid(sid: string, now: number): Promise<SessionRecord | null> {
    const row = (await query<SessionRow>(this.pool, LIVE_BY_SID, [sid, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async countLive(now: number): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT_LIVE, [now])).rows[0]?.n ?? 0;
  }

  async reauthenticate(idHash: string, now: number): Promise<void> {
    await query(this.pool, REAUTHENTICATE, [now, idHash]);
  }

  /** The user's unexpired sessions, newest first. */
  async listForUser(userId: string, now: number): Promise<SessionRecord[]> {
    return (await query<SessionRow>(this.pool, LIVE_FOR_USER, [userId, now])).rows.map(toRecord);
  }

  async delete(idHash: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [idHash])).rowCount ?? 0) > 0;
  }

  async deleteForUser(userId: string): Promise<number> {
    return (await query(this.pool, DELETE_FOR_USER, [userId])).rowCount ?? 0;
  }

  async addClient(sid: string, clientId: string, now: number): Promise<void> {
    try {
      await query(this.pool, ADD_CLIENT, [clientId, now, sid]);
    } catch (error) {
      // The session ended between the SELECT and the foreign-key check (SQLite, one writer at a time, never
      // sees that): it gains no clients, as if it had ended first.
      if (isForeignKeyViolation(error, 'session_clients_sid_fkey')) return;
      throw error;
    }
  }

  async clientsOf(sid: string): Promise<string[]> {
    return (await query<{ client_id: string }>(this.pool, CLIENTS_OF, [sid])).rows.map((row) => row.client_id);
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }

  async takeExpired(now: number, limit: number, idleSince?: number): Promise<{ session: SessionRecord; clientIds: string[] }[]> {
    if (limit < 1) return [];
    const { rows } = await query<SessionRow & { client_ids: string[] }>(this.pool, TAKE_EXPIRED, [now, limit, idleSince ?? -1]);
    return rows.map((row) => ({ session: toRecord(row), clientIds: row.client_ids }));
  }
}
