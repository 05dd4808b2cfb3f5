// The audit log as JSON lines: one event per line, oldest first, with its hashes, so that a copy kept elsewhere
// can be checked (src/audit/verify.ts, ChainChecker) without access to the database. Read a batch at a time:
// exporting a long log never holds more than one batch in memory.
import type { AuditEventRecord, AuditFilter } from '../store/records.js';
import type { Store } from '../store/store.js';
import { DEFAULT_BATCH_SIZE } from './verify.js';

/** One exported event. `at` stays in milliseconds because the hash covers that number; `time` is for people. */
export interface ExportedEvent {
  id: number;
  at: number;
  time: string;
  type: string;
  actor: string;
  subject: string | null;
  client_id: string | null;
  ip: string | null;
  outcome: AuditEventRecord['outcome'];
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export function toExported(event: AuditEventRecord): ExportedEvent {
  return {
    id: event.id,
    at: event.at,
    time: new Date(event.at).toISOString(),
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    client_id: event.clientId,
    ip: event.ip,
    outcome: event.outcome,
    details: event.details,
    prev_hash: event.prevHash,
    hash: event.hash,
  };
}

/** An exported line read back as the record it came from (to check a file with ChainChecker). */
export function fromExportedLine(line: string): AuditEventRecord {
  const e = JSON.parse(line) as ExportedEvent;
  return {
    id: e.id,
    at: e.at,
    type: e.type,
    actor: e.actor,
    subject: e.subject,
    clientId: e.client_id,
    ip: e.ip,
    outcome: e.outcome,
    details: e.details,
    prevHash: e.prev_hash,
    hash: e.hash,
  };
}

/** Whether `event` is one `filter` selects: the same rules as the store's query (src/store/audit-filter.ts). */
export function matchesAuditFilter(event: AuditEventRecord, filter: AuditFilter): boolean {
  if (filter.type && !(filter.type.endsWith('.') ? event.type.startsWith(filter.type) : event.type === filter.type)) return false;
  if (filter.actor && event.actor !== filter.actor) return false;
  if (filter.subject && event.subject !== filter.subject) return false;
  if (filter.clientId && event.clientId !== filter.clientId) return false;
  if (filter.outcome && event.outcome !== filter.outcome) return false;
  if (filter.since !== undefined && event.at < filter.since) return false;
  if (filter.until !== undefined && event.at >= filter.until) return false;
  return true;
}

/**
 * The selected events as JSON lines (each ending in a line break), one string per batch read, oldest first.
 * Walks the chain rather than the filtered (newest-first) listing, so a whole export is in chain order and a
 * filtered one in the same order; filtering a batch in memory is cheap next to reading it.
 */
export async function* auditJsonLines(store: Pick<Store, 'audit'>, { filter = {}, batchSize = DEFAULT_BATCH_SIZE }: { filter?: AuditFilter; batchSize?: number } = {}): AsyncGenerator<string> {
  let afterId = 0;
  for (;;) {
    const batch = await store.audit.chain(afterId, batchSize);
    const lines = batch.filter((event) => matchesAuditFilter(event, filter)).map((event) => `${JSON.stringify(toExported(event))}\n`);
    if (lines.length > 0) yield lines.join('');
    const last = batch[batch.length - 1];
    if (!last || batch.length < batchSize) return;
    afterId = last.id;
  }
}
