// The seeded groups and memberships (issue 21), in bulk as the users are (./seed.ts): the groups in the columns of
// src/store/rows/groups.ts (COLUMNS), the memberships in those of the store's table list for group_members
// (src/store/transfer/tables.ts, which a test checks against both schemas; the rows module has no column list for
// it), each column's type from that same list. A column this file does not know stops the run, as for the users.
// One SQLite transaction, or PostgreSQL batches of unnest() arrays followed by VACUUM (ANALYZE), as for the users;
// the memberships' foreign keys are checked once after the load rather than twice a row (see below).
import type pg from 'pg';
import { COLUMNS as GROUP_COLUMNS, nameKey } from '../../src/store/rows/groups.js';
import type { SqliteDatabase } from '../../src/store/sqlite/database.js';
import { transferTable, type ColumnKind } from '../../src/store/transfer/tables.js';
import type { GroupPopulation, SeedGroup } from './groups.js';
import type { SeedUser } from './population.js';

type Value = string | number | boolean;

const GROUP_COLUMN_NAMES = GROUP_COLUMNS.split(',').map((c) => c.trim());

function tableColumns(name: string): Readonly<Record<string, ColumnKind>> {
  const table = transferTable(name);
  if (!table) throw new Error(`the store's table list (src/store/transfer/tables.ts) has no ${name} table (bench/admin-users/seed-groups.ts)`);
  return table.columns;
}

function groupValue(column: string, group: SeedGroup): Value {
  switch (column) {
    case 'id':
      return group.id;
    case 'name':
      return group.name;
    case 'name_key':
      return nameKey(group.name);
    case 'description':
      return group.description;
    case 'require_mfa':
      return group.requireMfa;
    case 'created_at':
      return group.createdAt;
    case 'updated_at':
      return group.createdAt;
    // Issue 26: the management API's ETag version, 1 for a row never updated.
    case 'version':
      return 1;
    default:
      throw new Error(`the groups table has a column the seeding does not know: ${column} (bench/admin-users/seed-groups.ts)`);
  }
}

interface Membership {
  group: SeedGroup;
  user: SeedUser;
}

function memberValue(column: string, { group, user }: Membership): Value {
  switch (column) {
    case 'group_id':
      return group.id;
    case 'user_id':
      return user.id;
    case 'added_at':
      // When both existed: the later of the two creations.
      return Math.max(group.createdAt, user.createdAt);
    default:
      throw new Error(`the group_members table has a column the seeding does not know: ${column} (bench/admin-users/seed-groups.ts)`);
  }
}

/** Every membership in primary-key order (group id, user id): how a WITHOUT ROWID table takes rows fastest. */
function* memberships(users: readonly SeedUser[], population: GroupPopulation): Generator<Membership> {
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  for (const group of [...population.groups].sort((a, b) => byId(a.id, b.id))) {
    const members = group.members.map((index) => users[index] as SeedUser).sort((a, b) => byId(a.id, b.id));
    for (const user of members) yield { group, user };
  }
}

/** On the caller's connection, outside any transaction (after the users: memberships name them). */
export function insertGroupsSqlite(db: SqliteDatabase, users: readonly SeedUser[], population: GroupPopulation): void {
  const memberColumns = Object.keys(tableColumns('group_members'));
  const sqlite = (value: Value) => (typeof value === 'boolean' ? Number(value) : value);
  const insertGroup = db.prepare(`INSERT INTO groups (${GROUP_COLUMN_NAMES.join(', ')}) VALUES (${GROUP_COLUMN_NAMES.map(() => '?').join(', ')})`);
  const insertMember = db.prepare(`INSERT INTO group_members (${memberColumns.join(', ')}) VALUES (${memberColumns.map(() => '?').join(', ')})`);
  // As on PostgreSQL (below): the foreign keys checked once, by PRAGMA foreign_key_check, after the load rather
  // than by two look-ups a row during it; the pragma cannot change inside a transaction, and is back on after.
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (const group of population.groups) insertGroup.run(...GROUP_COLUMN_NAMES.map((column) => sqlite(groupValue(column, group))));
      for (const membership of memberships(users, population)) insertMember.run(...memberColumns.map((column) => sqlite(memberValue(column, membership))));
    })();
    const broken = db.prepare('PRAGMA foreign_key_check(group_members)').all();
    if (broken.length > 0) throw new Error(`${broken.length} seeded memberships name no group or no user (bench/admin-users/seed-groups.ts)`);
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

const POSTGRES_TYPES: Record<ColumnKind, string> = { text: 'text', int: 'bigint', bool: 'boolean' };
const POSTGRES_BATCH = 20_000;

function unnestInsert(table: string, columns: string[], kinds: Readonly<Record<string, ColumnKind>>): string {
  const arrays = columns.map((column, i) => {
    const kind = kinds[column];
    if (!kind) throw new Error(`the store's table list gives no type for ${table}.${column} (bench/admin-users/seed-groups.ts)`);
    return `$${i + 1}::${POSTGRES_TYPES[kind]}[]`;
  });
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`;
}

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** On the caller's connection, outside any transaction (VACUUM cannot run in one). */
export async function insertGroupsPostgres(client: pg.Client, users: readonly SeedUser[], population: GroupPopulation): Promise<void> {
  const memberKinds = tableColumns('group_members');
  const memberColumns = Object.keys(memberKinds);
  const groupSql = unnestInsert('groups', GROUP_COLUMN_NAMES, tableColumns('groups'));
  const memberSql = unnestInsert('group_members', memberColumns, memberKinds);
  await client.query('BEGIN');
  // As PostgreSQL's manual advises for a bulk load ("Populating a Database": remove foreign key constraints): the
  // memberships' foreign keys are dropped for the load and added back afterwards from their own definitions, in the
  // same transaction, so that one pass checks every row instead of two look-ups (and row locks) per row; it halves
  // the load. The schema after is the migrations' (same names, same definitions, validated).
  const { rows: foreignKeys } = await client.query<{ name: string; definition: string }>(
    "SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'group_members'::regclass AND contype = 'f'",
  );
  for (const key of foreignKeys) await client.query(`ALTER TABLE group_members DROP CONSTRAINT ${quoteIdentifier(key.name)}`);
  await client.query(
    groupSql,
    GROUP_COLUMN_NAMES.map((column) => population.groups.map((group) => groupValue(column, group))),
  );
  let batch: Membership[] = [];
  const flush = async () => {
    await client.query(
      memberSql,
      memberColumns.map((column) => batch.map((membership) => memberValue(column, membership))),
    );
    batch = [];
  };
  for (const membership of memberships(users, population)) {
    batch.push(membership);
    if (batch.length === POSTGRES_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  for (const key of foreignKeys) await client.query(`ALTER TABLE group_members ADD CONSTRAINT ${quoteIdentifier(key.name)} ${key.definition}`);
  await client.query('COMMIT');
  // As for the users (./seed.ts): statistics and the visibility map now, not from autovacuum mid-measurement.
  await client.query('VACUUM (ANALYZE) groups, group_members');
}
