// Paging of the management API's lists: `?limit=1..200` (50 unless given) and `?cursor=<opaque>`, answered with
// `{ "items": […], "next_cursor": "…" | null }` and, when there is a next page, a `Link: <…>; rel="next"` header
// (RFC 8288 §3) repeating the request with its cursor. The cursor is the store's keyset cursor (src/store/cursor.ts)
// as is: opaque to clients, stable while rows are added or removed, and checked when it comes back.
import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { ListOptions } from '../store/store.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The query parameters of every list; a list with more (a search) extends it. Unknown parameters are refused. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`Items per page, 1 to ${MAX_PAGE_SIZE}.`),
  cursor: z.string().min(1).max(1024).optional().describe('The `next_cursor` of the previous page.'),
});

export type PageQuery = z.output<typeof pageQuery>;

/** The answer of a list of `item`. */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.strictObject({
    items: z.array(item),
    next_cursor: z.string().nullable().describe('The cursor of the next page; null on the last one.'),
  });
}

/**
 * Reads one page through `list` (a store list method given the query's limit and cursor). A cursor the store does
 * not take (altered, or another list's) is the request's fault: 400 on the `cursor` parameter.
 */
export async function readPage<Record>(query: PageQuery, list: (options: ListOptions) => Promise<{ items: Record[]; next: string | null }>): Promise<{ items: Record[]; next: string | null }> {
  try {
    return await list({ limit: query.limit, after: query.cursor ?? null });
  } catch (error) {
    if (error instanceof ValidationError && error.field === 'after') throw new ValidationError('cursor', 'the cursor is not one this list gave');
    throw error;
  }
}

/** The URL of the next page: this request's, its cursor replaced (its other parameters kept). */
export function nextPageUrl(apiBase: string, req: Request, cursor: string): string {
  const url = new URL(req.originalUrl, 'http://api.invalid');
  url.searchParams.set('cursor', cursor);
  return `${apiBase}${req.path}?${url.searchParams.toString()}`;
}
