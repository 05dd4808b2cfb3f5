import type pg from 'pg';
import { ConflictError } from '../../errors.js';
import { decodeCursor, toPage } from '../cursor.js';
import type { ClientPatch, ClientRecord, NewClient } from '../records.js';
import type { ClientRepository, ListOptions, UpdateOptions } from '../store.js';
import { inTransaction, isAnyForeignKeyViolation, isUniqueViolation, query, statement, type PostgresPool } from './database.js';
import {
  accessDefaults,
  COLUMNS,
  GROUP_ROLES,
  groupIdList,
  INSERT_PLACEHOLDERS,
  insertValues,
  PATCH_COLUMNS,
  patchValue,
  selectColumns,
  toRecord,
  unknownGroup,
  type ClientRow,
  type ColumnPatch,
} from '../rows/clients.js';

/** Each role's group ids as one JSON array in id order (group_id is COLLATE "C": bytewise, as on SQLite). */
const SELECT = selectColumns(
  (role) => `(SELECT coalesce(json_agg(group_id ORDER BY group_id), '[]')::text FROM client_groups WHERE client_groups.client_id = clients.client_id AND role = '${role}')`,
);

const INSERT = statement('clients.insert', `INSERT INTO clients (${COLUMNS}) VALUES (${Array.from({ length: INSERT_PLACEHOLDERS }, (_, i) => `$${i + 1}`).join(', ')})`);
const BY_ID = statement('clients.byId', `SELECT ${SELECT} FROM clients WHERE client_id = $1`);
const FIRST_PAGE = statement('clients.firstPage', `SELECT ${SELECT} FROM clients ORDER BY name, client_id LIMIT $1`);
const NEXT_PAGE = statement('clients.nextPage', `SELECT ${SELECT} FROM clients WHERE (name, client_id) > ($1, $2) ORDER BY name, client_id LIMIT $3`);
const COUNT = statement('clients.count', 'SELECT count(*) AS n FROM clients');
const DELETE = statement('clients.delete', 'DELETE FROM clients WHERE client_id = $1');
const DELETE_VERSION = statement('clients.deleteVersion', 'DELETE FROM clients WHERE client_id = $1 AND version = $2');
// One conditional statement: of two updates presenting the same registration access token, the second waits for the
// first's row lock, re-checks the WHERE clause against the committed row, and matches nothing.
const ROTATE_TOKEN = statement(
  'clients.rotateRegistrationToken',
  'UPDATE clients SET registration_token_hash = $1, updated_at = $2, version = version + 1 WHERE client_id = $3 AND registration_token_hash = $4',
);
const KNOWN_GROUPS = statement('clients.knownGroups', 'SELECT id FROM groups WHERE id = ANY($1::text[])');
const INSERT_GROUPS = statement('clients.insertGroups', 'INSERT INTO client_groups (client_id, group_id, role) SELECT $1, unnest($3::text[]), $2');
const DELETE_GROUPS = statement('clients.deleteGroups', 'DELETE FROM client_groups WHERE client_id = $1 AND role = $2');

async function run<R extends pg.QueryResultRow>(client: pg.PoolClient, sql: { name: string; text: string }, values: unknown[]): Promise<pg.QueryResult<R>> {
  return client.query<R>({ name: sql.name, text: sql.text, values });
}

/**
 * Inside the caller's transaction: the first id that names no group refuses the whole write. A group deleted
 * after this look-up is caught by the foreign key (the insert locks the group rows it names).
 */
async function writeGroups(client: pg.PoolClient, clientId: string, role: 'access' | 'claim', ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const known = new Set((await run<{ id: string }>(client, KNOWN_GROUPS, [ids])).rows.map((row) => row.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw unknownGroup(missing);
  await run(client, INSERT_GROUPS, [clientId, role, ids]);
}

export class PostgresClientRepository implements ClientRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(client: NewClient, now: number): Promise<ClientRecord> {
    const record: ClientRecord = {
      ...client,
      requireMfa: client.requireMfa ?? false,
      refreshReuseGrace: client.refreshReuseGrace ?? null,
      ...accessDefaults(client),
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const values = insertValues(record);
    try {
      if (record.accessGroups.length === 0 && record.claimGroups.length === 0) {
        // No rules: one statement, as before issue 21.
        await query(this.pool, INSERT, values);
      } else {
        // The client and its group rules are one write: a rule naming a group that is not there writes nothing.
        await inTransaction(this.pool, async (connection) => {
          await run(connection, INSERT, values);
          for (const { role, field } of GROUP_ROLES) await writeGroups(connection, client.clientId, role, record[field]);
        });
      }
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a client with the id ${client.clientId} already exists`);
      if (isAnyForeignKeyViolation(error)) throw unknownGroup(null);
      throw error;
    }
    return record;
  }

  async findById(clientId: string): Promise<ClientRecord | null> {
    const row = (await query<ClientRow>(this.pool, BY_ID, [clientId])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list({ after, limit }: ListOptions) {
    let rows: ClientRow[];
    if (after) {
      const [name = '', clientId = ''] = decodeCursor(after, 2);
      rows = (await query<ClientRow>(this.pool, NEXT_PAGE, [name, clientId, limit + 1])).rows;
    } else {
      rows = (await query<ClientRow>(this.pool, FIRST_PAGE, [limit + 1])).rows;
    }
    const page = toPage(rows, limit, (row) => [row.name, row.client_id]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async count(): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT)).rows[0]?.n ?? 0;
  }

  async update(clientId: string, patch: ClientPatch, now: number, options: UpdateOptions = {}): Promise<ClientRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof ColumnPatch, ColumnPatch[keyof ColumnPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      values.push(patchValue(key, value));
      assignments.push(`${PATCH_COLUMNS[key]} = $${values.length}`);
    }
    values.push(now);
    assignments.push(`updated_at = $${values.length}`);
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    assignments.push('version = version + 1');
    values.push(clientId);
    const conditions = [`client_id = $${values.length}`];
    if (options.onlyIfVersion !== undefined) {
      values.push(options.onlyIfVersion);
      conditions.push(`version = $${values.length}`);
    }
    const text = `UPDATE clients SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')}`;
    try {
      const row = await inTransaction(this.pool, async (connection) => {
        // The client's row first: its lock makes a second update of the same client wait for this one to commit, and
        // then its DELETE (a new snapshot, READ COMMITTED) sees the rows this one wrote. Rules written first would
        // leave two racing updates a mixture of both lists, or a duplicate key.
        if (((await connection.query(text, values)).rowCount ?? 0) === 0) return undefined;
        // A role's rules are replaced only when its list is in the patch.
        for (const { role, field } of GROUP_ROLES) {
          const ids = patch[field];
          if (ids === undefined) continue;
          await run(connection, DELETE_GROUPS, [clientId, role]);
          await writeGroups(connection, clientId, role, groupIdList(ids));
        }
        return (await run<ClientRow>(connection, BY_ID, [clientId])).rows[0];
      });
      return row ? toRecord(row) : null;
    } catch (error) {
      if (isAnyForeignKeyViolation(error)) throw unknownGroup(null);
      throw error;
    }
  }

  async delete(clientId: string, options: UpdateOptions = {}): Promise<boolean> {
    const version = options.onlyIfVersion;
    const result = version === undefined ? await query(this.pool, DELETE, [clientId]) : await query(this.pool, DELETE_VERSION, [clientId, version]);
    return (result.rowCount ?? 0) > 0;
  }

  async rotateRegistrationToken(clientId: string, expected: string, next: string, now: number): Promise<boolean> {
    return ((await query(this.pool, ROTATE_TOKEN, [next, now, clientId, expected])).rowCount ?? 0) === 1;
  }
}
