// APIs (resource servers) and the clients' grants on them, on PostgreSQL (issue 22, migration 0013).
import pg from 'pg';
import { decodeCursor, toPage } from '../cursor.js';
import type { ApiPatch, ApiRecord, ApiUse, ClientApiAccess, ClientApiGrant, NewApi, Page } from '../records.js';
import {
  ACCESS_COLUMNS,
  apiIdTaken,
  apiNotFound,
  checkGrants,
  clientNotFound,
  COLUMNS,
  createdRecord,
  grantScopesColumn,
  identifierTaken,
  INSERT_COLUMNS,
  PATCH_COLUMNS,
  patchValue,
  scopesColumn,
  toAccess,
  toRecord,
  toUses,
  type ApiRow,
  type ApiUseRow,
  type ClientApiAccessRow,
} from '../rows/apis.js';
import type { ApiRepository, ListOptions, UpdateOptions } from '../store.js';
import { inTransaction, isAnyForeignKeyViolation, isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('apis.insert', `INSERT INTO apis (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`);
const BY_ID = statement('apis.byId', `SELECT ${COLUMNS} FROM apis WHERE id = $1`);
const BY_IDENTIFIER = statement('apis.byIdentifier', `SELECT ${COLUMNS} FROM apis WHERE identifier = $1`);
// name and id are COLLATE "C": pages come in the same (bytewise) order as on SQLite.
const FIRST_PAGE = statement('apis.firstPage', `SELECT ${COLUMNS} FROM apis ORDER BY name, id LIMIT $1`);
const NEXT_PAGE = statement('apis.nextPage', `SELECT ${COLUMNS} FROM apis WHERE (name, id) > ($1, $2) ORDER BY name, id LIMIT $3`);
const COUNT = statement('apis.count', 'SELECT count(*) AS n FROM apis');
const DELETE = statement('apis.delete', 'DELETE FROM apis WHERE id = $1');
const DELETE_VERSION = statement('apis.deleteVersion', 'DELETE FROM apis WHERE id = $1 AND version = $2');
const USES_OF = statement(
  'apis.usesOf',
  'SELECT clients.client_id, clients.name, client_apis.role FROM client_apis JOIN clients ON clients.client_id = client_apis.client_id ' +
    'WHERE client_apis.api_id = $1 ORDER BY clients.name, clients.client_id, client_apis.role',
);
const ACCESS_OF = statement(
  'apis.accessOf',
  `SELECT ${ACCESS_COLUMNS} FROM client_apis JOIN apis ON apis.id = client_apis.api_id WHERE client_apis.client_id = $1 ORDER BY apis.name, apis.id, client_apis.role`,
);
// The client's row, locked: a second setGrants of the same client waits for this one to commit, and its DELETE
// (a new snapshot, READ COMMITTED) then sees the rows this one wrote, instead of colliding with them.
const LOCK_CLIENT = statement('apis.lockClient', 'SELECT 1 FROM clients WHERE client_id = $1 FOR UPDATE');
const DELETE_GRANTS = statement('apis.deleteGrants', 'DELETE FROM client_apis WHERE client_id = $1');
// Inserts only when the API is there: no row written tells the caller which grant named nothing. An API deleted
// between this look-up and the commit is caught by the foreign key.
const INSERT_GRANT = statement('apis.insertGrant', 'INSERT INTO client_apis (client_id, api_id, role, scopes) SELECT $1, id, $2, $3 FROM apis WHERE id = $4');

function takenConstraint(error: unknown): 'id' | 'identifier' | null {
  if (!isUniqueViolation(error)) return null;
  return (error as pg.DatabaseError).constraint === 'apis_pkey' ? 'id' : 'identifier';
}

export class PostgresApiRepository implements ApiRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(api: NewApi, now: number): Promise<ApiRecord> {
    const record = createdRecord(api, now);
    try {
      await query(this.pool, INSERT, [record.id, record.name, record.identifier, scopesColumn(record.scopes), record.tokenLifetime, record.tokenFormat, record.accepts, record.builtIn, now, now]);
    } catch (error) {
      const taken = takenConstraint(error);
      if (taken === 'id') throw apiIdTaken(api.id);
      if (taken === 'identifier') throw identifierTaken(api.identifier);
      throw error;
    }
    return record;
  }

  async findById(id: string): Promise<ApiRecord | null> {
    const row = (await query<ApiRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findByIdentifier(identifier: string): Promise<ApiRecord | null> {
    const row = (await query<ApiRow>(this.pool, BY_IDENTIFIER, [identifier])).rows[0];
    return row ? toRecord(row) : null;
  }

  async list({ after, limit }: ListOptions): Promise<Page<ApiRecord>> {
    let rows: ApiRow[];
    if (after) {
      const [name = '', id = ''] = decodeCursor(after, 2);
      rows = (await query<ApiRow>(this.pool, NEXT_PAGE, [name, id, limit + 1])).rows;
    } else {
      rows = (await query<ApiRow>(this.pool, FIRST_PAGE, [limit + 1])).rows;
    }
    const page = toPage(rows, limit, (row) => [row.name, row.id]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async count(): Promise<number> {
    return (await query<{ n: number }>(this.pool, COUNT)).rows[0]?.n ?? 0;
  }

  async update(id: string, patch: ApiPatch, now: number, options: UpdateOptions = {}): Promise<ApiRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof ApiPatch, ApiPatch[keyof ApiPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      values.push(patchValue(key, value));
      assignments.push(`${PATCH_COLUMNS[key]} = $${values.length}`);
    }
    values.push(now);
    assignments.push(`updated_at = $${values.length}`);
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    assignments.push('version = version + 1');
    values.push(id);
    const conditions = [`id = $${values.length}`];
    if (options.onlyIfVersion !== undefined) {
      values.push(options.onlyIfVersion);
      conditions.push(`version = $${values.length}`);
    }
    try {
      const { rows } = await query<ApiRow>(this.pool, `UPDATE apis SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING ${COLUMNS}`, values);
      return rows[0] ? toRecord(rows[0]) : null;
    } catch (error) {
      if (takenConstraint(error) === 'identifier') throw identifierTaken(patch.identifier ?? '');
      throw error;
    }
  }

  async delete(id: string, options: UpdateOptions = {}): Promise<boolean> {
    // The grants naming it go with it (ON DELETE CASCADE).
    const version = options.onlyIfVersion;
    const result = version === undefined ? await query(this.pool, DELETE, [id]) : await query(this.pool, DELETE_VERSION, [id, version]);
    return (result.rowCount ?? 0) > 0;
  }

  async usesOf(apiId: string): Promise<ApiUse[]> {
    return toUses((await query<ApiUseRow>(this.pool, USES_OF, [apiId])).rows);
  }

  async accessOf(clientId: string): Promise<ClientApiAccess[]> {
    return (await query<ClientApiAccessRow>(this.pool, ACCESS_OF, [clientId])).rows.map(toAccess);
  }

  async setGrants(clientId: string, grants: ClientApiGrant[]): Promise<void> {
    checkGrants(grants);
    try {
      await inTransaction(this.pool, async (connection) => {
        const run = (sql: { name: string; text: string }, values: unknown[]) => connection.query({ name: sql.name, text: sql.text, values });
        if (((await run(LOCK_CLIENT, [clientId])).rowCount ?? 0) === 0) throw clientNotFound(clientId);
        await run(DELETE_GRANTS, [clientId]);
        for (const grant of grants) {
          if (((await run(INSERT_GRANT, [clientId, grant.role, grantScopesColumn(grant), grant.apiId])).rowCount ?? 0) === 0) throw apiNotFound(grant.apiId);
        }
      });
    } catch (error) {
      if (isAnyForeignKeyViolation(error)) throw apiNotFound(null);
      throw error;
    }
  }
}
