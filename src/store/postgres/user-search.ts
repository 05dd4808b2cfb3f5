// The users page's search on PostgreSQL (how it chooses its way: src/store/rows/users.ts): reading users_search in
// email order, or asking the trigram indexes (pg_trgm, migration 0005) for every match when a sample of the users
// says few match.
import { COLUMNS, type UserRow } from '../rows/users.js';
import { query, statement, type PostgresPool } from './database.js';

export interface PostgresSearchTuning {
  /** The most matches, estimated, that the indexes list; a search matching more is read in email order. */
  indexCap: number;
  /** Users in the sample that estimates how many match (all of them, in a smaller table). */
  sampleSize: number;
  /** How old a sample may grow before the next search takes a new one (meanwhile still using this one). */
  sampleMaxAgeMs: number;
}

/**
 * Measured at 100,000 users: a match from the indexes costs about as much as reading seven users in email order
 * (its row fetched and rechecked against the search, then sorted), plus some 2 ms for the statement; listing 2500
 * matches takes about 9 ms. A sample of 2000 users estimates 2500 matches within some 15 %, costs about 5 ms to
 * take (once a minute, beside the searches) and 0.1 ms to consult.
 */
export const POSTGRES_SEARCH_TUNING: Readonly<PostgresSearchTuning> = { indexCap: 2500, sampleSize: 2000, sampleMaxAgeMs: 60_000 };

/**
 * pg_trgm finds the trigrams of a LIKE pattern in its words, runs of letters and digits: a search without three in
 * a row has none that narrow the indexes down (or none at all, and they would be read whole). Letters as the
 * database's locale classifies them; under a "C" locale only ASCII ones, and a search of other letters takes the
 * indexes with fewer trigrams: slower, never wrong, as LIKE rechecks every row.
 */
const INDEXABLE = /[\p{L}\p{N}]{3}/u;

/** LIKE '%…%' finding `term` as a substring: its own `%`, `_` and `\` (the default escape) mean themselves. */
function containing(term: string): string {
  return `%${term.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * Matching users in email order, $2 of them, after $3 when `after`. strpos() has no wildcards: `%` and `_` mean
 * themselves; both columns are stored lower-cased, as the search is. The inner query reads them from users_search
 * (email_normalized INCLUDE name_normalized; migration 0005) alone, in an index-only scan, and yields at most a
 * page of emails: only those rows are then read from the table.
 */
function scanned(name: string, after: boolean): { name: string; text: string } {
  const page =
    `SELECT email_normalized FROM users WHERE ${after ? 'email_normalized > $3 AND ' : ''}` +
    '(strpos(email_normalized, $1) > 0 OR strpos(name_normalized, $1) > 0) ORDER BY email_normalized LIMIT $2';
  return statement(name, `SELECT ${COLUMNS} FROM users WHERE email_normalized IN (${page}) ORDER BY email_normalized`);
}

const SCAN_FIRST = scanned('users.searchFirstPage', false);
const SCAN_NEXT = scanned('users.searchNextPage', true);

/**
 * The matches of the LIKE pattern $1 from the trigram indexes, up to the cap $2, and the first $4 of them after the
 * email $3 (null: from the start), in one round trip: `found`, how many matched (the cap when it was reached), on
 * every row, with a user's columns; a single row of nulls but `found` when no user follows $3. A named statement:
 * its generic plan reads the indexes, which is what a search that comes here wants, as the sample said it matches
 * few; a plan for each search would follow PostgreSQL's own estimate of the pattern, which is coarser (it counts the
 * users whose email and name both match twice, and misses rare letters), and pay for planning every time.
 */
const INDEXED = statement(
  'users.searchIndexed',
  `WITH matching AS MATERIALIZED (
    SELECT id, email_normalized FROM users WHERE email_normalized LIKE $1 OR name_normalized LIKE $1 LIMIT $2)
  SELECT total.found, ${COLUMNS.split(',')
    .map((column) => `page.${column.trim()}`)
    .join(', ')}
  FROM (SELECT count(*)::int AS found FROM matching) AS total
  LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM users WHERE id IN (
    SELECT id FROM matching WHERE $3::text IS NULL OR email_normalized > $3 ORDER BY email_normalized LIMIT $4)) AS page ON true
  ORDER BY page.email_normalized`,
);

/** A row of INDEXED: the count of matches, with a user of the page or, when the page is empty, nulls (the LEFT JOIN). */
type IndexedRow = { found: number } & (UserRow | { [Column in keyof UserRow]: null });

/**
 * Each user with the same chance, `$1` percent (BERNOULLI reads every page of the table, but only some 5 ms of it
 * at 100,000 users). The table's size from the statistics (-1 before the first ANALYZE: then counted) sets the
 * percentage.
 */
const SIZE = statement(
  'users.searchSampleSize',
  "SELECT CASE WHEN reltuples >= 0 THEN reltuples::float8 ELSE (SELECT count(*) FROM users)::float8 END AS size FROM pg_class WHERE oid = 'users'::regclass",
);
const SAMPLE = statement('users.searchSample', 'SELECT email_normalized, name_normalized FROM users TABLESAMPLE BERNOULLI ($1)');

/** A sample of the users, to estimate how many a search matches: each sampled user stands for `weight` users. */
class UserSample {
  private users: { email_normalized: string; name_normalized: string | null }[] = [];
  private weight = 1;
  private takenAt: number | null = null;
  private taking: Promise<void> | null = null;

  constructor(
    private readonly pool: PostgresPool,
    private readonly tuning: PostgresSearchTuning,
  ) {}

  /** About how many users contain `term`; the first call waits for the first sample, later ones never wait. */
  async estimate(term: string): Promise<number> {
    if (this.takenAt === null) await this.take();
    else if (Date.now() - this.takenAt > this.tuning.sampleMaxAgeMs) void this.take();
    let matches = 0;
    for (const user of this.users) if (user.email_normalized.includes(term) || user.name_normalized?.includes(term)) matches++;
    return matches * this.weight;
  }

  /**
   * One sample at a time. A failure keeps the sample there was (none at first: every search then asks the indexes,
   * which give up at the cap) and is the searches' to report, as their own statements meet it too.
   */
  private take(): Promise<void> {
    this.taking ??= (async () => {
      // float8: pg reads it as a number.
      const size = (await query<{ size: number }>(this.pool, SIZE)).rows[0]?.size ?? 0;
      const percent = Math.min(100, (100 * this.tuning.sampleSize) / Math.max(size, 1));
      this.users = (await query<{ email_normalized: string; name_normalized: string | null }>(this.pool, SAMPLE, [percent])).rows;
      this.weight = percent > 0 ? 100 / percent : 0;
      this.takenAt = Date.now();
    })()
      .catch(() => undefined)
      .finally(() => {
        this.taking = null;
      });
    return this.taking;
  }
}

export class PostgresUserSearch {
  private readonly sample: UserSample;

  constructor(
    private readonly pool: PostgresPool,
    private readonly tuning: PostgresSearchTuning = POSTGRES_SEARCH_TUNING,
  ) {
    this.sample = new UserSample(pool, tuning);
  }

  /** The first `limit` users after the email `after` (null: from the start) whose email or name contains `term`. */
  async list(term: string, after: string | null, limit: number): Promise<UserRow[]> {
    if (INDEXABLE.test(term) && (await this.sample.estimate(term)) <= this.tuning.indexCap) {
      // The indexes give up at twice the cap: an estimate is that far off only when the sample is old (the users
      // changed much since), while one near the cap often errs a little either side, and giving up there would
      // waste the work done before reading in email order. Up to that plus one, so that reaching it shows.
      const cap = 2 * this.tuning.indexCap + 1;
      const rows = (await query<IndexedRow>(this.pool, INDEXED, [containing(term), cap, after, limit])).rows;
      if ((rows[0]?.found ?? 0) < cap) return rows.filter((row): row is IndexedRow & UserRow => row.id !== null);
    }
    return (after === null ? await query<UserRow>(this.pool, SCAN_FIRST, [term, limit]) : await query<UserRow>(this.pool, SCAN_NEXT, [term, limit, after])).rows;
  }
}
