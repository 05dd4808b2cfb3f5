// Webhook endpoints and the event types each receives, on PostgreSQL (issue 26, migration 0017).
import { ConflictError } from '../../errors.js';
import type { NewWebhook, WebhookPatch, WebhookRecord } from '../records.js';
import { COLUMNS, createdRecord, patchAssignments, sortedPatterns, toRecord, toValues, type WebhookPatternRow, type WebhookRow } from '../rows/webhooks.js';
import type { WebhookRepository } from '../store.js';
import { inTransaction, isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('webhooks.insert', `INSERT INTO webhooks (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`);
// One statement for every pattern of an endpoint (unnest of an array): a single round trip whatever their number.
const INSERT_PATTERNS = statement('webhooks.insertPatterns', 'INSERT INTO webhook_event_types (webhook_id, pattern) SELECT $1, unnest($2::text[])');
const CLEAR_PATTERNS = statement('webhooks.clearPatterns', 'DELETE FROM webhook_event_types WHERE webhook_id = $1');
// An endpoint with its patterns in one statement (one snapshot): an update between two reads cannot mix them.
const WITH_PATTERNS =
  `SELECT ${COLUMNS.split(', ')
    .map((column) => `w.${column}`)
    .join(', ')}, coalesce(array_agg(p.pattern ORDER BY p.pattern) FILTER (WHERE p.pattern IS NOT NULL), '{}') AS patterns ` +
  'FROM webhooks w LEFT JOIN webhook_event_types p ON p.webhook_id = w.id';
const BY_ID = statement('webhooks.byId', `${WITH_PATTERNS} WHERE w.id = $1 GROUP BY w.id`);
// The id (COLLATE "C") breaks ties of one millisecond as SQLite's does.
const LIST = statement('webhooks.list', `${WITH_PATTERNS} GROUP BY w.id ORDER BY w.created_at, w.id`);
const PATTERNS_OF = statement('webhooks.patternsOf', 'SELECT webhook_id, pattern FROM webhook_event_types WHERE webhook_id = $1 ORDER BY pattern');

type RowWithPatterns = WebhookRow & { patterns: string[] };
// Its event types and its deliveries go with it (ON DELETE CASCADE).
const DELETE = statement('webhooks.delete', 'DELETE FROM webhooks WHERE id = $1');

export class PostgresWebhookRepository implements WebhookRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(webhook: NewWebhook, now: number): Promise<WebhookRecord> {
    const record = createdRecord(webhook, now);
    try {
      await inTransaction(this.pool, async (client) => {
        await client.query({ name: INSERT.name, text: INSERT.text, values: toValues(record) });
        await client.query({ name: INSERT_PATTERNS.name, text: INSERT_PATTERNS.text, values: [record.id, record.eventTypes] });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a webhook with the id ${webhook.id} already exists`);
      throw error;
    }
    return record;
  }

  async findById(id: string): Promise<WebhookRecord | null> {
    const row = (await query<RowWithPatterns>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row, row.patterns) : null;
  }

  async list(): Promise<WebhookRecord[]> {
    return (await query<RowWithPatterns>(this.pool, LIST)).rows.map((row) => toRecord(row, row.patterns));
  }

  async update(id: string, patch: WebhookPatch, now: number): Promise<WebhookRecord | null> {
    // The endpoint and its event types change together: a delivery fanned out meanwhile sees the one or the other.
    return inTransaction(this.pool, async (client) => {
      const assignments = patchAssignments(patch);
      const values: unknown[] = assignments.map(({ value }) => value);
      const sets = assignments.map(({ column }, index) => `${column} = $${index + 1}`);
      values.push(now);
      sets.push(`updated_at = $${values.length}`);
      values.push(id);
      const row = (await client.query<WebhookRow>(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = $${values.length} RETURNING ${COLUMNS}`, values)).rows[0];
      if (!row) return null;
      if (patch.eventTypes !== undefined) {
        await client.query({ name: CLEAR_PATTERNS.name, text: CLEAR_PATTERNS.text, values: [id] });
        await client.query({ name: INSERT_PATTERNS.name, text: INSERT_PATTERNS.text, values: [id, sortedPatterns(patch.eventTypes)] });
      }
      const patterns = await client.query<WebhookPatternRow>({ name: PATTERNS_OF.name, text: PATTERNS_OF.text, values: [id] });
      return toRecord(
        row,
        patterns.rows.map(({ pattern }) => pattern),
      );
    });
  }

  async delete(id: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [id])).rowCount ?? 0) > 0;
  }
}
