// A group's members for the users list (UserRepository.list with `inGroup`) on PostgreSQL: the members in email
// order, a page at a time (keyset pagination on the email), optionally narrowed by a search. The two ways and why a
// window of users in email order comes first, and why a search in a large group reads on in email order:
// src/store/sqlite/group-members.ts.
import { COLUMNS, type UserRow } from '../rows/users.js';
import { query, statement, type PostgresPool, type Statement } from './database.js';

export interface PostgresMemberListTuning {
  /** Users read in email order before reading the group's memberships. */
  window: number;
  /** A search in a group with more members than this reads on in email order rather than from its memberships. */
  scanAbove: number;
}

/**
 * Measured at 100,000 users and 1,000 groups: a page of 50 of a group of 5,000 members takes 4-6 ms, of 50,000 about
 * 1 ms, of 10 or 500 (the window, then the memberships) 5-8 ms; a rare search among 5,000 members 14 ms, among
 * 50,000 some 85 ms (the window finds none, and every member is read).
 */
export const POSTGRES_MEMBER_LIST_TUNING: Readonly<PostgresMemberListTuning> = { window: 2000, scanAbove: 5000 };

const USER_COLUMNS = COLUMNS.split(',')
  .map((column) => `users.${column.trim()}`)
  .join(', ');

type Way = 'window' | 'scan' | 'members';

/** The statement of one way, with or without a cursor and a search, and how its values line up. */
interface Variant {
  statement: Statement;
  values(parameters: { group: string; limit: number; after: string | null; term: string | null; upto: string | null }): unknown[];
}

/**
 * The window: users in email order (after the cursor, up to the window's end), each probing group_members' primary
 * key. The members: the group's rows of that primary key, each user by id: as an array, so that the planner looks
 * each one up by the users' primary key rather than reading every user to join them. strpos() has no wildcards (as
 * in the users' search, ./user-search.ts); both columns and the search are stored and compared lower-cased. One
 * statement per shape, each with bounds the planner can use, rather than "$n IS NULL OR …" in a generic plan.
 */
function variant(way: Way, after: boolean, search: boolean): Variant {
  const order: ('group' | 'limit' | 'after' | 'term' | 'upto')[] = ['group', 'limit'];
  const parameter = (name: (typeof order)[number]) => {
    order.push(name);
    return `$${order.length}`;
  };
  const conditions: string[] = [];
  if (after) conditions.push(`users.email_normalized > ${parameter('after')}`);
  if (search) {
    const term = parameter('term');
    conditions.push(`(strpos(users.email_normalized, ${term}) > 0 OR strpos(users.name_normalized, ${term}) > 0)`);
  }
  if (way === 'window' || way === 'scan') {
    if (way === 'window') conditions.push(`users.email_normalized <= ${parameter('upto')}`);
    // OFFSET 0 keeps the probe a probe: without it the planner turns EXISTS into a join, and its generic plan reads
    // every membership of the group to join them with the window (85 ms for a group of 50,000, against 1 ms).
    conditions.push('EXISTS (SELECT 1 FROM group_members WHERE group_members.group_id = $1 AND group_members.user_id = users.id OFFSET 0)');
  } else {
    conditions.push('users.id = ANY (ARRAY(SELECT user_id FROM group_members WHERE group_members.group_id = $1))');
  }
  const name = `users.${{ window: 'memberWindow', scan: 'memberScan', members: 'members' }[way]}${after ? 'Next' : 'First'}${search ? 'Search' : ''}`;
  return {
    statement: statement(name, `SELECT ${USER_COLUMNS} FROM users WHERE ${conditions.join(' AND ')} ORDER BY users.email_normalized LIMIT $2`),
    values: (parameters) => order.map((key) => parameters[key]),
  };
}

const VARIANTS = new Map<string, Variant>();
for (const way of ['window', 'scan', 'members'] as const) {
  for (const after of [false, true]) for (const search of [false, true]) VARIANTS.set(`${way}:${after}:${search}`, variant(way, after, search));
}

/** The email `window` users after the cursor: the window's last, or no row when fewer follow. An index-only scan. */
const WINDOW_END_FIRST = statement('users.memberWindowEndFirst', 'SELECT email_normalized FROM users ORDER BY email_normalized LIMIT 1 OFFSET $1');
/** Whether a group has more members than $2: counted no further, along group_members' primary key. */
const LARGER = statement('groups.membersAbove', 'SELECT count(*) > $2 AS larger FROM (SELECT 1 FROM group_members WHERE group_id = $1 LIMIT $2 + 1) AS members');
const WINDOW_END_NEXT = statement('users.memberWindowEndNext', 'SELECT email_normalized FROM users WHERE email_normalized > $2 ORDER BY email_normalized LIMIT 1 OFFSET $1');

export class PostgresGroupMembers {
  constructor(
    private readonly pool: PostgresPool,
    private readonly tuning: PostgresMemberListTuning = POSTGRES_MEMBER_LIST_TUNING,
  ) {}

  /** The first `limit` members of `group` after the email `after` (null: from the start), containing `term` when given. */
  async list(group: string, term: string | null, after: string | null, limit: number): Promise<UserRow[]> {
    const skip = this.tuning.window - 1;
    const end =
      after === null ? await query<{ email_normalized: string }>(this.pool, WINDOW_END_FIRST, [skip]) : await query<{ email_normalized: string }>(this.pool, WINDOW_END_NEXT, [skip, after]);
    const upto = end.rows[0]?.email_normalized;
    if (upto === undefined) return this.rows('members', { group, limit, after, term, upto: null });
    const found = await this.rows('window', { group, limit, after, term, upto });
    if (found.length >= limit) return found;
    const rest = { group, limit: limit - found.length, after: upto, term, upto: null };
    const scan = term !== null && (await query<{ larger: boolean }>(this.pool, LARGER, [group, this.tuning.scanAbove])).rows[0]?.larger === true;
    return found.concat(await this.rows(scan ? 'scan' : 'members', rest));
  }

  private async rows(way: Way, parameters: Parameters<Variant['values']>[0]): Promise<UserRow[]> {
    const chosen = VARIANTS.get(`${way}:${parameters.after !== null}:${parameters.term !== null}`);
    if (!chosen) throw new Error(`no statement for the ${way} way`);
    return (await query<UserRow>(this.pool, chosen.statement, chosen.values(parameters))).rows;
  }
}
