import type { AuthorizationRequestRecord, NewAuthorizationRequest } from '../records.js';
import type { AuthorizationRequestRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, type AuthorizationRequestRow } from '../rows/authorization-requests.js';

export class SqliteAuthorizationRequestRepository implements AuthorizationRequestRepository {
  private readonly insertStmt;
  private readonly liveById;
  private readonly consumeStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO authorization_requests (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)`);
    this.liveById = db.prepare<[string, number], AuthorizationRequestRow>(`SELECT ${COLUMNS} FROM authorization_requests WHERE id_hash = ? AND consumed_at IS NULL AND expires_at > ?`);
    // One conditional statement: a request completes once, even when the form is submitted twice at once.
    this.consumeStmt = db.prepare<[number, string, number], AuthorizationRequestRow>(
      `UPDATE authorization_requests SET consumed_at = ? WHERE id_hash = ? AND consumed_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    this.deleteExpiredStmt = db.prepare('DELETE FROM authorization_requests WHERE expires_at <= ?');
  }

  async create(request: NewAuthorizationRequest): Promise<void> {
    this.insertStmt.run(request.idHash, request.browserHash, request.clientId, JSON.stringify(request.params), request.createdAt, request.expiresAt);
  }

  async findLive(idHash: string, now: number): Promise<AuthorizationRequestRecord | null> {
    const row = this.liveById.get(idHash, now);
    return row ? toRecord(row) : null;
  }

  async consume(idHash: string, now: number): Promise<AuthorizationRequestRecord | null> {
    const row = this.consumeStmt.get(now, idHash, now);
    return row ? toRecord(row) : null;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
