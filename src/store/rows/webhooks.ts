// The webhooks table's columns, its patchable fields and how a row and its event types become a record, shared by
// every engine (issue 26, migration 0017).
import type { NewWebhook, WebhookPatch, WebhookRecord } from '../records.js';

export interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  secret_sealed: string;
  /** 0 or 1 on SQLite, a boolean on PostgreSQL. */
  enabled: number | boolean;
  created_at: number;
  updated_at: number;
}

export interface WebhookPatternRow {
  webhook_id: string;
  pattern: string;
}

export const COLUMNS = 'id, url, description, secret_sealed, enabled, created_at, updated_at';

/** The patchable columns (the event types live in webhook_event_types, replaced as a whole). */
export const PATCH_COLUMNS: Record<Exclude<keyof WebhookPatch, 'eventTypes'>, string> = {
  url: 'url',
  description: 'description',
  secretSealed: 'secret_sealed',
  enabled: 'enabled',
};

/** Bytewise, as both engines order the pattern column: the same list everywhere. */
export function sortedPatterns(patterns: Iterable<string>): string[] {
  return [...new Set(patterns)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function toRecord(row: WebhookRow, patterns: string[]): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    secretSealed: row.secret_sealed,
    eventTypes: sortedPatterns(patterns),
    enabled: Boolean(row.enabled),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Each webhook's patterns, from the rows of webhook_event_types. */
export function patternsByWebhook(rows: WebhookPatternRow[]): Map<string, string[]> {
  const byWebhook = new Map<string, string[]>();
  for (const row of rows) {
    const patterns = byWebhook.get(row.webhook_id);
    if (patterns) patterns.push(row.pattern);
    else byWebhook.set(row.webhook_id, [row.pattern]);
  }
  return byWebhook;
}

export function createdRecord(webhook: NewWebhook, now: number): WebhookRecord {
  return { ...webhook, eventTypes: sortedPatterns(webhook.eventTypes), createdAt: now, updatedAt: now };
}

/** A new webhook's values in COLUMNS order, the boolean as given (the SQLite repository turns it into 0 or 1). */
export function toValues(record: WebhookRecord): [string, string, string | null, string, boolean, number, number] {
  return [record.id, record.url, record.description, record.secretSealed, record.enabled, record.createdAt, record.updatedAt];
}

/** The patch's column assignments and values, in the order given; the event types are not among them. */
export function patchAssignments(patch: WebhookPatch): { column: string; value: string | boolean | null }[] {
  const assignments: { column: string; value: string | boolean | null }[] = [];
  for (const key of Object.keys(PATCH_COLUMNS) as (keyof typeof PATCH_COLUMNS)[]) {
    const value = patch[key];
    if (value !== undefined) assignments.push({ column: PATCH_COLUMNS[key], value });
  }
  return assignments;
}
