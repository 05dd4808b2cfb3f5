// The users page's search on SQLite (how it chooses its way: src/store/rows/users.ts): reading users_search in email
// order, or asking the trigram index users_fts (migration 0005) for every match when it counts few.
import { codePointLength } from '../../code-points.js';
import { COLUMNS, type UserRow } from '../rows/users.js';
import type { SqliteDatabase } from './database.js';

export interface SqliteSearchTuning {
  /** Users read in email order before counting in the index: a search matching many fills its page within them. */
  window: number;
  /** The most matches the index lists; a search matching more is read on in email order. */
  indexCap: number;
}

/**
 * Measured at 100,000 users: listing a match from the index costs about as much as reading five to seven users in
 * email order (its row looked up, checked and sorted), counting one about as much as reading one or two. A window of
 * 2000 users takes under a millisecond; counting 3000 matches 1.5 ms, listing them 5 ms.
 */
export const SQLITE_SEARCH_TUNING: Readonly<SqliteSearchTuning> = { window: 2000, indexCap: 3000 };

/** The trigram tokenizer indexes every three characters (code points) of a column: a shorter search has no trigram. */
const TRIGRAM = 3;

/**
 * instr() has no wildcards: `%` and `_` mean themselves. Both columns are stored lower-cased (so is the search)
 * and read from users_search (email_normalized, name_normalized; migration 0005): a row is read from the table
 * only when it matches. INDEXED BY, because without statistics the planner prefers the UNIQUE index on the email,
 * whose entries lack the name and cost a table read each.
 */
const MATCHES = '(instr(email_normalized, @term) > 0 OR instr(name_normalized, @term) > 0)';

/** The columns of users, named through the table: json_each, joined beside it, has an `id` of its own. */
const USER_COLUMNS = COLUMNS.split(',')
  .map((column) => `users.${column.trim()}`)
  .join(', ');

/**
 * An FTS5 phrase of the whole search: a run of consecutive trigrams, which the trigram tokenizer matches exactly
 * where the search is a substring of one of the columns (both stored and searched lower-cased, compared as they
 * are: case_sensitive 1).
 */
function phrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

export class SqliteUserSearch {
  private readonly scanFirst;
  private readonly scanNext;
  private readonly windowEndFirst;
  private readonly windowEndNext;
  private readonly windowFirst;
  private readonly windowNext;
  private readonly indexed;
  private readonly indexedPage;
  private readonly page;

  constructor(
    db: SqliteDatabase,
    private readonly tuning: SqliteSearchTuning = SQLITE_SEARCH_TUNING,
  ) {
    const scan = (after: string, upto: string) =>
      db.prepare<[Record<string, string | number>], UserRow>(`SELECT ${COLUMNS} FROM users INDEXED BY users_search WHERE ${after}${upto}${MATCHES} ORDER BY email_normalized LIMIT @limit`);
    this.scanFirst = scan('', '');
    this.scanNext = scan('email_normalized > @after AND ', '');
    this.windowFirst = scan('', 'email_normalized <= @upto AND ');
    this.windowNext = scan('email_normalized > @after AND ', 'email_normalized <= @upto AND ');
    // The last email of a window (read from an index of the emails alone).
    const windowEnd = (after: string) =>
      db.prepare<[Record<string, string | number>], string>(`SELECT email_normalized FROM users ${after}ORDER BY email_normalized LIMIT 1 OFFSET @skip`).pluck();
    this.windowEndFirst = windowEnd('');
    this.windowEndNext = windowEnd('WHERE email_normalized > @after ');
    // How many match (up to the cap), and their rowids as one JSON array: one row, not one per match.
    this.indexed = db.prepare<[{ phrase: string; cap: number }], { found: number; rowids: string }>(
      'SELECT count(*) AS found, json_group_array(rowid) AS rowids FROM (SELECT rowid FROM users_fts WHERE users_fts MATCH @phrase LIMIT @cap)',
    );
    // CROSS JOIN keeps the matches the outer loop: without it the planner may walk the email index instead and
    // probe the list for each of 100,000 users, the very scan the index is here to avoid. Each match is checked
    // again as the scan checks it, for next to nothing: an index out of step with the users (a rowid changed
    // behind the triggers' back) could then only miss someone, never show someone else.
    this.indexedPage = db.prepare<[{ rowids: string; term: string; after: string; limit: number }], UserRow>(
      `SELECT ${USER_COLUMNS} FROM json_each(@rowids) AS found CROSS JOIN users ON users.rowid = found.value ` +
        `WHERE users.email_normalized > @after AND ${MATCHES} ORDER BY users.email_normalized LIMIT @limit`,
    );
    // One read transaction: every statement of a page sees the same snapshot, whatever other connections commit.
    this.page = db.transaction((term: string, after: string | null, limit: number): UserRow[] => this.find(term, after, limit));
  }

  /** The first `limit` users after the email `after` (null: from the start) whose email or name contains `term`. */
  list(term: string, after: string | null, limit: number): UserRow[] {
    return this.page(term, after, limit);
  }

  private find(term: string, after: string | null, limit: number): UserRow[] {
    if (codePointLength(term) < TRIGRAM) return this.scan(term, after, limit);
    // The window, when as many users follow `after`; when fewer do, reading them all is the window.
    const skip = this.tuning.window - 1;
    const upto = after === null ? this.windowEndFirst.get({ skip }) : this.windowEndNext.get({ after, skip });
    if (upto === undefined) return this.scan(term, after, limit);
    const found = after === null ? this.windowFirst.all({ term, upto, limit }) : this.windowNext.all({ term, after, upto, limit });
    if (found.length >= limit) return found;
    // Counted up to the cap plus one, so that reaching the cap shows.
    const rest = limit - found.length;
    const matches = this.indexed.get({ phrase: phrase(term), cap: this.tuning.indexCap + 1 });
    const more = matches && matches.found <= this.tuning.indexCap ? this.indexedPage.all({ rowids: matches.rowids, term, after: upto, limit: rest }) : this.scan(term, upto, rest);
    return found.concat(more);
  }

  private scan(term: string, after: string | null, limit: number): UserRow[] {
    return after === null ? this.scanFirst.all({ term, limit }) : this.scanNext.all({ term, after, limit });
  }
}
