// The audit table's columns and how a row becomes a record, shared by every engine.
import type { ChainedFields } from '../../audit/chain.js';
import type { AuditChainHead, AuditEventRecord, AuditOutcome, NewAuditEvent } from '../records.js';

export interface AuditRow {
  id: number;
  at: number;
  type: string;
  actor: string;
  subject: string | null;
  client_id: string | null;
  ip: string | null;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditChainHeadRow {
  last_id: number;
  last_hash: string;
}

export const COLUMNS = 'id, at, type, actor, subject, client_id, ip, outcome, details, prev_hash, hash';

/** The values of a new event exactly as they are stored and hashed: `details` as the JSON text kept in the row. */
export function chainedFields(event: NewAuditEvent): ChainedFields {
  return {
    at: event.at,
    type: event.type,
    actor: event.actor,
    subject: event.subject ?? null,
    clientId: event.clientId ?? null,
    ip: event.ip ?? null,
    outcome: event.outcome ?? 'success',
    detailsJson: JSON.stringify(event.details),
  };
}

/** The same fields read back from a stored row, to link events written before the chain existed (migration 0005). */
export function storedFields(row: AuditRow): ChainedFields {
  return {
    at: row.at,
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    clientId: row.client_id,
    ip: row.ip,
    outcome: row.outcome,
    detailsJson: row.details,
  };
}

export function toRecord(row: AuditRow): AuditEventRecord {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    clientId: row.client_id,
    ip: row.ip,
    outcome: row.outcome as AuditOutcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function toHead(row: AuditChainHeadRow): AuditChainHead {
  return { lastId: row.last_id, lastHash: row.last_hash };
}
