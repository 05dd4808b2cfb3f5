import type { AuditEventRecord, NewAuditEvent } from '../records.js';
import type { AuditRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, type AuditRow } from '../rows/audit.js';

const INSERT = statement('audit.insert',
  `INSERT INTO audit_events (at, type, actor, subject, ip, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`);
const NEWEST = statement('audit.newest', `SELECT ${COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1`);
const NEWEST_BEFORE = statement('audit.newestBefore', `SELECT ${COLUMNS} FROM audit_events WHERE id < $1 ORDER BY id DESC LIMIT $2`);

export class PostgresAuditRepository implements AuditRepository {
  constructor(private readonly pool: PostgresPool) {}

  async append(event: NewAuditEvent): Promise<AuditEventRecord> {
    const { rows } = await query<AuditRow>(this.pool, INSERT, [event.at, event.type, event.actor, event.subject, event.ip,
      JSON.stringify(event.details)]);
    if (!rows[0]) throw new Error('INSERT … RETURNING returned no row');
    return toRecord(rows[0]);
  }

  async list({ before, limit }: { before?: number | null; limit: number }): Promise<AuditEventRecord[]> {
    const { rows } = before == null
      ? await query<AuditRow>(this.pool, NEWEST, [limit])
      : await query<AuditRow>(this.pool, NEWEST_BEFORE, [before, limit]);
    return rows.map(toRecord);
  }
}
