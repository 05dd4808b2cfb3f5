// Webhook endpoints and the event types each receives, on SQLite (issue 26, migration 0017).
import { ConflictError } from '../../errors.js';
import type { NewWebhook, WebhookPatch, WebhookRecord } from '../records.js';
import { COLUMNS, createdRecord, patchAssignments, patternsByWebhook, sortedPatterns, toRecord, toValues, type WebhookPatternRow, type WebhookRow } from '../rows/webhooks.js';
import type { WebhookRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

export class SqliteWebhookRepository implements WebhookRepository {
  private readonly createTx;
  private readonly updateTx;
  private readonly byId;
  private readonly patternsOf;
  private readonly listStmt;
  private readonly allPatterns;
  private readonly deleteStmt;

  constructor(db: SqliteDatabase) {
    const insertStmt = db.prepare(`INSERT INTO webhooks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const insertPattern = db.prepare<[string, string]>('INSERT INTO webhook_event_types (webhook_id, pattern) VALUES (?, ?)');
    const clearPatterns = db.prepare<[string]>('DELETE FROM webhook_event_types WHERE webhook_id = ?');
    this.byId = db.prepare<[string], WebhookRow>(`SELECT ${COLUMNS} FROM webhooks WHERE id = ?`);
    this.patternsOf = db.prepare<[string], { pattern: string }>('SELECT pattern FROM webhook_event_types WHERE webhook_id = ? ORDER BY pattern');
    this.listStmt = db.prepare<[], WebhookRow>(`SELECT ${COLUMNS} FROM webhooks ORDER BY created_at, id`);
    this.allPatterns = db.prepare<[], WebhookPatternRow>('SELECT webhook_id, pattern FROM webhook_event_types ORDER BY webhook_id, pattern');
    // Its event types and its deliveries go with it (ON DELETE CASCADE).
    this.deleteStmt = db.prepare<[string]>('DELETE FROM webhooks WHERE id = ?');
    this.createTx = db.transaction((record: WebhookRecord) => {
      insertStmt.run(...toValues(record).map((value) => (typeof value === 'boolean' ? Number(value) : value)));
      for (const pattern of record.eventTypes) insertPattern.run(record.id, pattern);
    });
    // The endpoint and its event types change together: a delivery fanned out meanwhile sees the one or the other.
    this.updateTx = db.transaction((id: string, patch: WebhookPatch, now: number): WebhookRow | undefined => {
      const assignments = patchAssignments(patch);
      const row = db
        .prepare<unknown[], WebhookRow>(`UPDATE webhooks SET ${[...assignments.map(({ column }) => `${column} = ?`), 'updated_at = ?'].join(', ')} WHERE id = ? RETURNING ${COLUMNS}`)
        .get(...assignments.map(({ value }) => (typeof value === 'boolean' ? Number(value) : value)), now, id);
      if (row && patch.eventTypes !== undefined) {
        clearPatterns.run(id);
        for (const pattern of sortedPatterns(patch.eventTypes)) insertPattern.run(id, pattern);
      }
      return row;
    });
  }

  async create(webhook: NewWebhook, now: number): Promise<WebhookRecord> {
    const record = createdRecord(webhook, now);
    try {
      this.createTx.immediate(record);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a webhook with the id ${webhook.id} already exists`);
      throw error;
    }
    return record;
  }

  async findById(id: string): Promise<WebhookRecord | null> {
    const row = this.byId.get(id);
    return row
      ? toRecord(
          row,
          this.patternsOf.all(id).map(({ pattern }) => pattern),
        )
      : null;
  }

  async list(): Promise<WebhookRecord[]> {
    const rows = this.listStmt.all();
    const patterns = patternsByWebhook(this.allPatterns.all());
    return rows.map((row) => toRecord(row, patterns.get(row.id) ?? []));
  }

  async update(id: string, patch: WebhookPatch, now: number): Promise<WebhookRecord | null> {
    const row = this.updateTx.immediate(id, patch, now);
    return row
      ? toRecord(
          row,
          this.patternsOf.all(id).map(({ pattern }) => pattern),
        )
      : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }
}
