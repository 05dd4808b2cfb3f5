import type { AuthorizationRequestRecord, NewAuthorizationRequest } from '../records.js';
import type { AuthorizationRequestRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

interface AuthorizationRequestRow {
  id_hash: string;
  browser_hash: string;
  client_id: string;
  params: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

const COLUMNS = 'id_hash, browser_hash, client_id, params, created_at, expires_at, consumed_at';

function toRecord(row: AuthorizationRequestRow): AuthorizationRequestRecord {
  return {
    idHash: row.id_hash,
    browserHash: row.browser_hash,
    clientId: row.client_id,
    params: JSON.parse(row.params) as Record<string, string>,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

export class SqliteAuthorizationRequestRepository implements AuthorizationRequestRepository {
  private readonly insertStmt;
  private readonly liveById;
  private readonly consumeStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO authorization_requests (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)`);
    this.liveById = db.prepare<[string, number], AuthorizationRequestRow>(
      `SELECT ${COLUMNS} FROM authorization_requests WHERE id_hash = ? AND consumed_at IS NULL AND expires_at > ?`,
    );
    // One conditional statement: a request completes once, even when the form is submitted twice at once.
    this.consumeStmt = db.prepare<[number, string, number], AuthorizationRequestRow>(
      `UPDATE authorization_requests SET consumed_at = ? WHERE id_hash = ? AND consumed_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    this.deleteExpiredStmt = db.prepare('DELETE FROM authorization_requests WHERE expires_at <= ?');
  }

  async create(request: NewAuthorizationRequest): Promise<void> {
    this.insertStmt.run(request.idHash, request.browserHash, request.clientId, JSON.stringify(request.params),
      request.createdAt, request.expiresAt);
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
