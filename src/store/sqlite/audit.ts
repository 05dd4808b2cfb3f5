import type { AuditEventRecord, NewAuditEvent } from '../records.js';
import type { AuditRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, type AuditRow } from '../rows/audit.js';

export class SqliteAuditRepository implements AuditRepository {
  private readonly insertStmt;
  private readonly newest;
  private readonly newestBefore;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[number, string, string, string | null, string | null, string], AuditRow>(
      `INSERT INTO audit_events (at, type, actor, subject, ip, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    );
    this.newest = db.prepare<[number], AuditRow>(`SELECT ${COLUMNS} FROM audit_events ORDER BY id DESC LIMIT ?`);
    this.newestBefore = db.prepare<[number, number], AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id < ? ORDER BY id DESC LIMIT ?`);
  }

  async append(event: NewAuditEvent): Promise<AuditEventRecord> {
    const row = this.insertStmt.get(event.at, event.type, event.actor, event.subject, event.ip, JSON.stringify(event.details));
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return toRecord(row);
  }

  async list({ before, limit }: { before?: number | null; limit: number }): Promise<AuditEventRecord[]> {
    const rows = before == null ? this.newest.all(limit) : this.newestBefore.all(before, limit);
    return rows.map(toRecord);
  }
}
