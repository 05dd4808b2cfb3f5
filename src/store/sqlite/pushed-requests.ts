// Pushed authorization requests on SQLite (RFC 9126, issue 28): single use, for their short lifetime.
import type { NewPushedRequest, PushedRequestRecord } from '../records.js';
import { CONSUME, COLUMNS, pushedRequestClientNotFound, pushedRequestExists, toRecord, toValues, type PushedRequestRow, type PushedRequestValues } from '../rows/pushed-requests.js';
import type { PushedRequestRepository } from '../store.js';
import { isForeignKeyViolation, isUniqueViolation, type SqliteDatabase } from './database.js';

export class SqlitePushedRequestRepository implements PushedRequestRepository {
  private readonly insertStmt;
  private readonly consumeStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<PushedRequestValues>(`INSERT INTO pushed_requests (${COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)`);
    // SQLite has one writer at a time: the winner's UPDATE commits before the next one reads the row.
    this.consumeStmt = db.prepare<[{ now: number; hash: string; client: string }], PushedRequestRow>(
      CONSUME.replaceAll('{now}', '@now').replace('{hash}', '@hash').replace('{client}', '@client'),
    );
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM pushed_requests WHERE expires_at <= ?');
  }

  async create(request: NewPushedRequest): Promise<void> {
    try {
      this.insertStmt.run(...toValues(request));
    } catch (error) {
      if (isForeignKeyViolation(error)) throw pushedRequestClientNotFound(request.clientId);
      if (isUniqueViolation(error)) throw pushedRequestExists();
      throw error;
    }
  }

  async consume(uriHash: string, clientId: string, now: number): Promise<PushedRequestRecord | null> {
    const row = this.consumeStmt.get({ now, hash: uriHash, client: clientId });
    return row ? toRecord(row) : null;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
