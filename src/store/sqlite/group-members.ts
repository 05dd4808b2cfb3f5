// A group's members for the users list (UserRepository.list with `inGroup`) on SQLite: the members in email order,
// a page at a time (keyset pagination on the email, as every users list), optionally narrowed by a search.
//
// Two ways find them, as for the search (src/store/rows/users.ts): reading users in email order and keeping the
// members (a probe of group_members' primary key each), which fills a page of a large group after a few users but
// would read every user for a small one; or reading the group's memberships from that primary key and each member
// by id, which costs one look-up per member (and a sort) however few the page needs. So a window of users is read in
// email order first: a group with many members fills its page there; one with few reaches the end of the window
// with its page unfilled, and is then read from its memberships, which are few (at most about
// window × page / users). Neither way ever reads all users.
// A search is the exception: a term that matches few people in the window says nothing about the group's size, and
// reading a large group's every member (100,000 of them) to keep those that match took 200 ms. So a search whose
// window leaves the page unfilled reads on in email order (matching first, then probing the membership, as the
// window does) when the group has more than `scanAbove` members, and from the memberships otherwise.
import { COLUMNS, type UserRow } from '../rows/users.js';
import type { SqliteDatabase } from './database.js';

export interface SqliteMemberListTuning {
  /** Users read in email order before reading the group's memberships. */
  window: number;
  /** A search in a group with more members than this reads on in email order rather than from its memberships. */
  scanAbove: number;
}

/**
 * Measured at 100,000 users and 1,000 groups: a page of 50 of a group of 5,000 members (filled in the window) takes
 * about 1 ms, of 50,000 members 0.3 ms, of 10 or 500 (the window, then the memberships) 1-3 ms; a rare search among
 * 5,000 members 7 ms, among 50,000 some 35 ms (the window finds none, and every member is read).
 */
export const SQLITE_MEMBER_LIST_TUNING: Readonly<SqliteMemberListTuning> = { window: 2000, scanAbove: 5000 };

const USER_COLUMNS = COLUMNS.split(',')
  .map((column) => `users.${column.trim()}`)
  .join(', ');

/** As in the users' search (./user-search.ts): instr() has no wildcards; both columns and the term are lower-cased. */
const MATCHES = '(instr(users.email_normalized, @term) > 0 OR instr(users.name_normalized, @term) > 0)';

const IS_MEMBER = 'EXISTS (SELECT 1 FROM group_members WHERE group_members.group_id = @group AND group_members.user_id = users.id)';

type Parameters = { group: string; after?: string; upto?: string; term?: string; skip?: number; limit: number };

export class SqliteGroupMembers {
  private readonly statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  private readonly page;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly tuning: SqliteMemberListTuning = SQLITE_MEMBER_LIST_TUNING,
  ) {
    // One read transaction: every statement of a page sees the same snapshot, whatever other connections commit.
    this.page = db.transaction((group: string, term: string | null, after: string | null, limit: number): UserRow[] => this.find(group, term, after, limit));
  }

  /** The first `limit` members of `group` after the email `after` (null: from the start), containing `term` when given. */
  list(group: string, term: string | null, after: string | null, limit: number): UserRow[] {
    return this.page(group, term, after, limit);
  }

  private find(group: string, term: string | null, after: string | null, limit: number): UserRow[] {
    const upto = this.windowEnd(after);
    if (upto === undefined) return this.members(group, term, after, limit);
    const found = this.rows('window', after, term, { group, limit, upto, ...(after === null ? {} : { after }), ...(term === null ? {} : { term }) });
    if (found.length >= limit) return found;
    const rest = limit - found.length;
    if (term !== null && this.larger(group, this.tuning.scanAbove)) return found.concat(this.rows('scan', upto, term, { group, limit: rest, after: upto, term }));
    return found.concat(this.members(group, term, upto, rest));
  }

  /** Whether the group has more than `count` members: counted no further than that, along its primary key. */
  private larger(group: string, count: number): boolean {
    const statement = this.prepared('larger', () => 'SELECT count(*) FROM (SELECT 1 FROM group_members WHERE group_id = @group LIMIT @cap)');
    return (statement.pluck().get({ group, cap: count + 1 }) as number) > count;
  }

  /** The email `window` users after `after`: the window's last, or undefined when fewer follow (then none is needed). */
  private windowEnd(after: string | null): string | undefined {
    const where = after === null ? '' : 'WHERE email_normalized > @after ';
    const statement = this.prepared(`end:${after === null}`, () => `SELECT email_normalized FROM users ${where}ORDER BY email_normalized LIMIT 1 OFFSET @skip`);
    return statement.pluck().get({ skip: this.tuning.window - 1, ...(after === null ? {} : { after }) }) as string | undefined;
  }

  /** The members from group_members' primary key, each user by id: CROSS JOIN keeps the memberships the outer loop. */
  private members(group: string, term: string | null, after: string | null, limit: number): UserRow[] {
    return this.rows('members', after, term, { group, limit, ...(after === null ? {} : { after }), ...(term === null ? {} : { term }) });
  }

  private rows(way: 'window' | 'scan' | 'members', after: string | null, term: string | null, parameters: Parameters): UserRow[] {
    const key = `${way}:${after === null}:${term === null}`;
    const statement = this.prepared(key, () => {
      const conditions = [...(after === null ? [] : ['users.email_normalized > @after']), ...(term === null ? [] : [MATCHES])];
      if (way === 'window' || way === 'scan') {
        conditions.push(...(way === 'window' ? ['users.email_normalized <= @upto'] : []), IS_MEMBER);
        return `SELECT ${USER_COLUMNS} FROM users WHERE ${conditions.join(' AND ')} ORDER BY users.email_normalized LIMIT @limit`;
      }
      return (
        `SELECT ${USER_COLUMNS} FROM group_members CROSS JOIN users ON users.id = group_members.user_id ` +
        `WHERE ${['group_members.group_id = @group', ...conditions].join(' AND ')} ORDER BY users.email_normalized LIMIT @limit`
      );
    });
    return statement.all(parameters) as UserRow[];
  }

  private prepared(key: string, text: () => string): ReturnType<SqliteDatabase['prepare']> {
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(text());
      this.statements.set(key, statement);
    }
    return statement;
  }
}
