// The WHERE clause of the audit view's filters, shared by every engine. Every condition is a fixed fragment
// and every value a bound parameter: a filter typed into the admin screen never becomes SQL.
import type { AuditFilter } from './records.js';

export type AuditFilterValue = string | number;

export interface AuditFilterSql {
  /** `bind(value)` keeps the value and returns its placeholder (`?` on SQLite, `$n` on PostgreSQL). */
  bind(value: AuditFilterValue): string;
  /**
   * The `type` column as the index on it compares it: PostgreSQL's index is COLLATE "C" (bytewise, as on
   * SQLite), and only a comparison in the same collation can use it and gets the prefix range right.
   */
  typeColumn: string;
}

/**
 * The end of the range of types that start with `prefix` (ending in a dot): the same text with its last
 * character, the dot, replaced by the next one ('/'), so `user.` covers `user.` ≤ type < `user/`. A range
 * rather than LIKE, so that the index on `type` serves it and `_` or `%` in a type mean themselves.
 */
function prefixEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}/`;
}

/** The conditions `filter` asks for (none for an empty filter); empty text counts as no filter. */
export function auditFilterConditions(filter: AuditFilter | undefined, sql: AuditFilterSql): string[] {
  if (!filter) return [];
  const conditions: string[] = [];
  if (filter.type) {
    if (filter.type.endsWith('.')) {
      conditions.push(`${sql.typeColumn} >= ${sql.bind(filter.type)} AND ${sql.typeColumn} < ${sql.bind(prefixEnd(filter.type))}`);
    } else {
      conditions.push(`${sql.typeColumn} = ${sql.bind(filter.type)}`);
    }
  }
  if (filter.actor) conditions.push(`actor = ${sql.bind(filter.actor)}`);
  if (filter.subject) conditions.push(`subject = ${sql.bind(filter.subject)}`);
  if (filter.clientId) conditions.push(`client_id = ${sql.bind(filter.clientId)}`);
  if (filter.outcome) conditions.push(`outcome = ${sql.bind(filter.outcome)}`);
  if (filter.since !== undefined) conditions.push(`at >= ${sql.bind(filter.since)}`);
  if (filter.until !== undefined) conditions.push(`at < ${sql.bind(filter.until)}`);
  return conditions;
}

export function whereClause(conditions: string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}
