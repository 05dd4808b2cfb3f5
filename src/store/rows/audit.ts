// The audit table's columns and how a row becomes a record, shared by every engine.
import type { AuditEventRecord } from '../records.js';

export interface AuditRow {
  id: number;
  at: number;
  type: string;
  actor: string;
  subject: string | null;
  ip: string | null;
  details: string;
}

export const COLUMNS = 'id, at, type, actor, subject, ip, details';

export function toRecord(row: AuditRow): AuditEventRecord {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    ip: row.ip,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
