// The token path's groups lookup (issue 21): store.groups.groupsOf, run on every token response that releases the
// groups claim or checks an access rule, timed for a person in 50 groups, in this process, through the store the
// server opens (on SQLite the server's threaded store, whose reads run on the calling thread), one call at a time
// after an untimed warm-up. Each answer is checked: the person's groups, in name order.
//
// Also the plan the engine runs it with, read from the statement the store itself prepared (not a copy of its SQL
// here, which could drift): on SQLite EXPLAIN QUERY PLAN of the repository's prepared statement's text; on
// PostgreSQL EXPLAIN EXECUTE of the named statement the store's connection prepared (the plan it uses now, generic or
// custom). Neither statement is public: the repository's fields are read by name, and a change of them stops the run
// with a message saying where to look.
import type pg from 'pg';
import type { Config } from '../../src/config.js';
import { openStore } from '../../src/services.js';
import { openSqliteDatabase } from '../../src/store/sqlite/database.js';
import type { Store } from '../../src/store/store.js';
import type { SeedGroup } from './groups.js';

export interface GroupsOfResult {
  /** The person's email and how many groups they are in. */
  email: string;
  groups: number;
  warmUp: number;
  /** One entry per call, ms. */
  timings: number[];
  /** The statement as the store prepared it, and its plan, one line per node. */
  statement: string;
  plan: string[];
  /** PostgreSQL only: how the prepared statement has been planned so far. */
  planNote?: string;
}

function check(names: string[], expected: string[], what: string): void {
  if (names.length !== expected.length || names.some((name, i) => name !== expected[i])) {
    throw new Error(`groupsOf(${what}) answered ${names.length} groups (${names.slice(0, 3).join(', ')}, …), not the ${expected.length} seeded, in name order`);
  }
}

async function time(store: Store, userId: string, expected: string[], warmUp: number, samples: number): Promise<number[]> {
  for (let i = 0; i < warmUp; i++)
    check(
      (await store.groups.groupsOf(userId)).map((g) => g.name),
      expected,
      userId,
    );
  const timings: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const groups = await store.groups.groupsOf(userId);
    timings.push(performance.now() - started);
    check(
      groups.map((g) => g.name),
      expected,
      userId,
    );
  }
  return timings;
}

const moved = (what: string) => new Error(`the store's ${what} is no longer where bench/admin-users/groups-of.ts reads it: update that file`);

/** EXPLAIN QUERY PLAN rows (id, parent, detail) as the sqlite3 shell draws them. */
function sqliteTree(rows: { id: number; parent: number; detail: string }[]): string[] {
  const depth = new Map<number, number>([[0, -1]]);
  return rows.map((row) => {
    const level = (depth.get(row.parent) ?? -1) + 1;
    depth.set(row.id, level);
    return `${'   '.repeat(level)}${level === 0 ? '' : '`--'}${row.detail}`;
  });
}

async function sqlitePlan(config: Config, userId: string): Promise<{ statement: string; plan: string[] }> {
  const store = await openStore(config); // the direct store: its repositories' statements are at hand
  try {
    const source = (store.groups as unknown as { groupsOfStmt?: { source?: unknown } }).groupsOfStmt?.source;
    if (typeof source !== 'string') throw moved('SQLite groupsOf statement (SqliteGroupRepository.groupsOfStmt)');
    const db = openSqliteDatabase(config.sqliteFile, { synchronous: config.sqliteSynchronous });
    try {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(userId) as { id: number; parent: number; detail: string }[];
      return { statement: source, plan: sqliteTree(rows) };
    } finally {
      db.close();
    }
  } finally {
    await store.close();
  }
}

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function postgresPlan(store: Store, userId: string): Promise<{ statement: string; plan: string[]; planNote?: string }> {
  const pool = (store as unknown as { pool?: pg.Pool }).pool;
  if (!pool || typeof pool.query !== 'function') throw moved('PostgreSQL pool (PostgresStore.pool)');
  // The store was opened with one connection: the one that prepared the statement.
  const { rows } = await pool.query<Record<string, unknown>>(`SELECT * FROM pg_prepared_statements WHERE statement LIKE '%group_members%' AND statement LIKE '%user_id%'`);
  const prepared = rows.find((row) => typeof row.name === 'string' && typeof row.statement === 'string' && !/\bINSERT\b|\bDELETE\b/i.test(row.statement));
  if (!prepared) throw moved('PostgreSQL groupsOf statement (no prepared statement reads group_members by user_id)');
  const name = String(prepared.name);
  const literal = `'${userId.replace(/'/g, "''")}'`;
  const explained = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) EXECUTE ${quoteIdentifier(name)}(${literal})`);
  const counts = 'generic_plans' in prepared ? `; planned ${String(prepared.generic_plans)} times generically, ${String(prepared.custom_plans)} times for the value` : '';
  return {
    statement: String(prepared.statement),
    plan: explained.rows.map((row) => row['QUERY PLAN']),
    planNote: `prepared statement ${name}${counts}`,
  };
}

/** Times groupsOf for `userId` (in `groups`), and reads its plan; the server need not run. */
export async function measureGroupsOf(config: Config, user: { id: string; email: string }, groups: readonly SeedGroup[], plan: { warmUp: number; samples: number }): Promise<GroupsOfResult> {
  const expected = groups
    .map((g) => g.name)
    .sort((a, b) => {
      const [x, y] = [a.toLowerCase(), b.toLowerCase()];
      return x < y ? -1 : x > y ? 1 : 0;
    });
  const postgres = config.database.engine === 'postgres';
  const store = config.database.engine === 'postgres' ? await openStore({ ...config, database: { ...config.database, poolSize: 1 } }) : await openStore(config, { server: true });
  let timings: number[];
  let explained: { statement: string; plan: string[]; planNote?: string };
  try {
    timings = await time(store, user.id, expected, plan.warmUp, plan.samples);
    explained = postgres ? await postgresPlan(store, user.id) : await sqlitePlan(config, user.id);
  } finally {
    await store.close();
  }
  return { email: user.email, groups: groups.length, warmUp: plan.warmUp, timings, ...explained };
}
