// The users page's search on SQLite: users whose email or name contains the search, a page at a time in email
// order. An admin usually searches for one person, so most searches match a handful of users and read the whole
// index to fill the page: each row must cost little. The scan runs on users_search (email_normalized, name;
// migration 0005), which holds both compared columns, so a row is read from the table only when it matches.
import type { SqliteDatabase } from './database.js';
import { beyondAscii, COLUMNS, type UserRow } from '../rows/users.js';

/** JavaScript's full Unicode lower-casing, as SQL: SQLite's lower() and LIKE fold ASCII letters only. */
const UNICODE_LOWER = 'gatehouse_lower';

/** A LIKE pattern for "contains `term`" in which `%`, `_` and the escape character mean themselves. */
function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, '\\$&')}%`;
}

interface SearchParameters {
  term: string;
  pattern: string;
  after: string;
  limit: number;
}

export class SqliteUserSearch {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    db.function(UNICODE_LOWER, { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : null));
    // The email is stored lower-cased, so instr() (which has no wildcards) compares it as is. For the name, an
    // ASCII search uses LIKE, which ignores ASCII case without copying the name; a search with other letters
    // lower-cases every name in JavaScript, several times slower, to fold them as the search was folded.
    const ascii = "(instr(email_normalized, @term) > 0 OR name LIKE @pattern ESCAPE '\\')";
    const unicode = `(instr(email_normalized, @term) > 0 OR instr(${UNICODE_LOWER}(name), @term) > 0)`;
    // INDEXED BY: without statistics the planner prefers the UNIQUE index on email_normalized, whose rows lack
    // the name and cost a table read each (three times slower over 100,000 users).
    const prepare = (matches: string, after: boolean) => db.prepare<[Partial<SearchParameters>], UserRow>(
      `SELECT ${COLUMNS} FROM users INDEXED BY users_search WHERE ${after ? 'email_normalized > @after AND ' : ''}${matches} ORDER BY email_normalized LIMIT @limit`,
    );
    this.statements = {
      ascii: { first: prepare(ascii, false), next: prepare(ascii, true) },
      unicode: { first: prepare(unicode, false), next: prepare(unicode, true) },
    };
  }

  /** Up to `limit` users matching `term` (trimmed and lower-cased), after the email `after` if given. */
  page(term: string, after: string | null, limit: number): UserRow[] {
    if (beyondAscii(term)) {
      const { first, next } = this.statements.unicode;
      return after === null ? first.all({ term, limit }) : next.all({ term, after, limit });
    }
    const { first, next } = this.statements.ascii;
    const pattern = containsPattern(term);
    return after === null ? first.all({ term, pattern, limit }) : next.all({ term, pattern, after, limit });
  }
}
