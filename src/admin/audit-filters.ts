// The audit screen's filters, read from the query string (GET: a filtered view can be bookmarked, shared and
// reloaded, and looking changes nothing). Every value is checked here, before any query: a bad one is shown
// next to its field, as entered, and nothing is looked up.
import { ValidationError } from '../errors.js';
import type { AuditFilter } from '../store/records.js';

export const FILTER_FIELDS = ['type', 'actor', 'subject', 'client', 'outcome', 'from', 'to'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type FilterValues = Record<FilterField, string>;

export interface FilterForm {
  /** What was entered, trimmed, to put back into the form. */
  values: FilterValues;
  errors: Partial<Record<FilterField, string>>;
  /** The store's filter; meaningful only when there are no errors. */
  filter: AuditFilter;
  /** Keyset pagination: show events older than this id. */
  before: number | null;
}

/** Types are dotted words (`user.created`); a prefix ends in a dot (`user.`). */
const TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;
const MAX_TYPE = 100;
/** Ids are 22-43 characters; room for `anonymous`, `system`, key ids. */
const MAX_ID = 200;
/** `YYYY-MM-DD`, or what a datetime-local field sends: `YYYY-MM-DDTHH:MM` (seconds optional). */
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const DATE_MESSAGE = 'Enter a date as YYYY-MM-DD, or a date and time as YYYY-MM-DDTHH:MM (UTC).';

/** The span a date names: a whole day, minute or second (UTC), as [start, end). */
export function parseDateSpan(text: string): { start: number; end: number } | null {
  const match = DATE.exec(text);
  if (!match) return null;
  // An optional group that took no part in the match is undefined, though lib.d.ts types every group a string.
  const [year, month, day, hour, minute, second] = match.slice(1).map((part: string | undefined) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || day === undefined) return null;
  const start = Date.UTC(year, month - 1, day, hour ?? 0, minute ?? 0, second ?? 0);
  const back = new Date(start);
  // Date.UTC rolls 2025-02-30 over into March: only a date that reads back the same exists.
  const exists =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month - 1 &&
    back.getUTCDate() === day &&
    back.getUTCHours() === (hour ?? 0) &&
    back.getUTCMinutes() === (minute ?? 0) &&
    back.getUTCSeconds() === (second ?? 0);
  if (!exists) return null;
  const unit = hour === undefined ? 24 * 60 * 60 * 1000 : second === undefined ? 60 * 1000 : 1000;
  return { start, end: start + unit };
}

/** One query parameter as text: a repeated one (an array) or a nested one cannot be a filter. */
function single(query: Record<string, unknown>, name: string): string | null {
  const value = query[name];
  if (value === undefined) return '';
  return typeof value === 'string' ? value.trim() : null;
}

export function readAuditFilters(query: Record<string, unknown>): FilterForm {
  const values = {} as FilterValues;
  const errors: FilterForm['errors'] = {};
  for (const field of FILTER_FIELDS) {
    const value = single(query, field);
    values[field] = value ?? '';
    if (value === null) errors[field] = 'Give one value.';
  }
  const filter: AuditFilter = {};
  if (values.type && !errors.type) {
    if (values.type.length > MAX_TYPE || !TYPE.test(values.type)) errors.type = 'Enter an event type such as user.created, or the start of one ending in a dot, such as user.';
    else filter.type = values.type;
  }
  for (const [field, key] of [
    ['actor', 'actor'],
    ['subject', 'subject'],
    ['client', 'clientId'],
  ] as const) {
    if (!values[field] || errors[field]) continue;
    if (values[field].length > MAX_ID) errors[field] = `Enter at most ${MAX_ID} characters.`;
    else filter[key] = values[field];
  }
  if (values.outcome && !errors.outcome) {
    if (values.outcome === 'success' || values.outcome === 'failure') filter.outcome = values.outcome;
    else errors.outcome = 'Choose success or failure.';
  }
  const from = values.from && !errors.from ? parseDateSpan(values.from) : null;
  if (values.from && !errors.from) {
    if (from) filter.since = from.start;
    else errors.from = DATE_MESSAGE;
  }
  if (values.to && !errors.to) {
    // "To" includes the whole day (or minute) it names.
    const to = parseDateSpan(values.to);
    if (!to) errors.to = DATE_MESSAGE;
    else if (from && to.end <= from.start) errors.to = 'Enter a time after “From”.';
    else filter.until = to.end;
  }
  return { values, errors, filter, before: readBefore(query) };
}

/** The page position comes from our own links: a bad one is a broken link, not a field to correct. */
function readBefore(query: Record<string, unknown>): number | null {
  const value = query.before;
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new ValidationError('before', 'This page link is not valid: the position in the log must be an event number.');
  return Number(value);
}

/** The query string of a filtered view (only the filters in use), with a page position if given. */
export function filterQuery(values: FilterValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) if (values[field]) params.set(field, values[field]);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const query = params.toString();
  return query ? `?${query}` : '';
}
