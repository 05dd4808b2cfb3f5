import type { SessionRecord } from '../records.js';
import type { SessionRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, toValues, type SessionRow } from '../rows/sessions.js';

export class SqliteSessionRepository implements SessionRepository {
  private readonly insertStmt;
  private readonly liveById;
  private readonly liveBySid;
  private readonly countLiveStmt;
  private readonly reauthenticateStmt;
  private readonly touchStmt;
  private readonly liveForUser;
  private readonly deleteStmt;
  private readonly deleteForUserStmt;
  private readonly addClientStmt;
  private readonly clientsOfStmt;
  private readonly deleteExpiredStmt;
  private readonly overStmt;
  private readonly takeTx;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO sessions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.liveById = db.prepare<[string, number], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id_hash = ? AND expires_at > ?`);
    this.liveBySid = db.prepare<[string, number], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE sid = ? AND expires_at > ?`);
    this.countLiveStmt = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM sessions WHERE expires_at > ?');
    this.touchStmt = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?');
    // Re-entering the password is also being seen; auth_time stays the sign-in's (SessionRepository.reauthenticate).
    this.reauthenticateStmt = db.prepare('UPDATE sessions SET reauthenticated_at = ?, last_seen_at = ? WHERE id_hash = ?');
    this.liveForUser = db.prepare<[string, number], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id_hash`);
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
    this.deleteForUserStmt = db.prepare('DELETE FROM sessions WHERE user_id = ?');
    // A session that has already ended gains no clients (the INSERT … SELECT finds no row).
    this.addClientStmt = db.prepare('INSERT INTO session_clients (sid, client_id, first_issued_at) SELECT sid, ?, ? FROM sessions WHERE sid = ? ON CONFLICT (sid, client_id) DO NOTHING');
    this.deleteExpiredStmt = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
    this.clientsOfStmt = db.prepare<[string], { client_id: string }>('SELECT client_id FROM session_clients WHERE sid = ? ORDER BY first_issued_at, client_id');
    // No session is last seen at a negative instant: without an idle cutoff only the expiry counts.
    this.overStmt = db.prepare<[number, number, number], SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? ORDER BY expires_at, id_hash LIMIT ?`);
    // Reading the sessions and their clients, then deleting them, must see no other writer in between: run as
    // `.immediate` (the `idp` tool's direct connection takes the write lock first; on the writer thread it is a
    // savepoint inside the batch's BEGIN IMMEDIATE, see audit.ts). Deleting the session deletes its client list
    // (ON DELETE CASCADE), so the list is read first.
    this.takeTx = db.transaction((now: number, limit: number, idleSince: number) =>
      this.overStmt.all(now, idleSince, limit).map((row) => {
        const clientIds = this.clientsOfStmt.all(row.sid).map((client) => client.client_id);
        this.deleteStmt.run(row.id_hash);
        return { session: toRecord(row), clientIds };
      }),
    );
  }

  async create(session: SessionRecord): Promise<void> {
    this.insertStmt.run(...toValues(session));
  }

  async findLive(idHash: string, now: number): Promise<SessionRecord | null> {
    const row = this.liveById.get(idHash, now);
    return row ? toRecord(row) : null;
  }

  async touch(idHash: string, now: number): Promise<void> {
    this.touchStmt.run(now, idHash);
  }

  async findLiveBySid(sid: string, now: number): Promise<SessionRecord | null> {
    const row = this.liveBySid.get(sid, now);
    return row ? toRecord(row) : null;
  }

  async countLive(now: number): Promise<number> {
    return this.countLiveStmt.get(now)?.n ?? 0;
  }

  async reauthenticate(idHash: string, now: number): Promise<void> {
    this.reauthenticateStmt.run(now, now, idHash);
  }

  /** The user's unexpired sessions, newest first. */
  async listForUser(userId: string, now: number): Promise<SessionRecord[]> {
    return this.liveForUser.all(userId, now).map(toRecord);
  }

  async delete(idHash: string): Promise<boolean> {
    return this.deleteStmt.run(idHash).changes > 0;
  }

  async deleteForUser(userId: string): Promise<number> {
    return this.deleteForUserStmt.run(userId).changes;
  }

  async addClient(sid: string, clientId: string, now: number): Promise<void> {
    this.addClientNow(sid, clientId, now);
  }

  /** addClient(), synchronously: for a caller's transaction (issuance.ts). */
  addClientNow(sid: string, clientId: string, now: number): void {
    this.addClientStmt.run(clientId, now, sid);
  }

  async clientsOf(sid: string): Promise<string[]> {
    return this.clientsOfStmt.all(sid).map((row) => row.client_id);
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }

  async takeExpired(now: number, limit: number, idleSince?: number): Promise<{ session: SessionRecord; clientIds: string[] }[]> {
    if (limit < 1) return [];
    return this.takeTx.immediate(now, limit, idleSince ?? -1);
  }
}
