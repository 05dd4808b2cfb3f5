// APIs (resource servers) and the clients' grants on them, on SQLite (issue 22, migration 0013).
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
import { isForeignKeyViolation, type SqliteDatabase } from './database.js';

/** Which uniqueness a failed write broke: the id is the primary key, the identifier is UNIQUE. */
function takenColumn(error: unknown): 'id' | 'identifier' | null {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'id';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE') return 'identifier';
  return null;
}

export class SqliteApiRepository implements ApiRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly byIdentifier;
  private readonly firstPage;
  private readonly nextPage;
  private readonly countStmt;
  private readonly deleteStmt;
  private readonly deleteVersionStmt;
  private readonly usesOfStmt;
  private readonly accessOfStmt;
  private readonly clientExists;
  private readonly deleteGrants;
  private readonly insertGrant;
  private readonly setGrantsTx;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO apis (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[string], ApiRow>(`SELECT ${COLUMNS} FROM apis WHERE id = ?`);
    this.byIdentifier = db.prepare<[string], ApiRow>(`SELECT ${COLUMNS} FROM apis WHERE identifier = ?`);
    this.firstPage = db.prepare<[number], ApiRow>(`SELECT ${COLUMNS} FROM apis ORDER BY name, id LIMIT ?`);
    this.nextPage = db.prepare<[string, string, number], ApiRow>(`SELECT ${COLUMNS} FROM apis WHERE (name, id) > (?, ?) ORDER BY name, id LIMIT ?`);
    this.countStmt = db.prepare<[], number>('SELECT count(*) FROM apis').pluck();
    this.deleteStmt = db.prepare<[string]>('DELETE FROM apis WHERE id = ?');
    this.deleteVersionStmt = db.prepare<[string, number]>('DELETE FROM apis WHERE id = ? AND version = ?');
    // client_apis_by_api (api_id, client_id) finds the grants, each client by its primary key.
    this.usesOfStmt = db.prepare<[string], ApiUseRow>(
      'SELECT clients.client_id, clients.name, client_apis.role FROM client_apis CROSS JOIN clients ON clients.client_id = client_apis.client_id ' +
        'WHERE client_apis.api_id = ? ORDER BY clients.name, clients.client_id, client_apis.role',
    );
    // The client's grants from the primary key (client_id, api_id, role), each API by its primary key: a few rows to sort.
    this.accessOfStmt = db.prepare<[string], ClientApiAccessRow>(
      `SELECT ${ACCESS_COLUMNS} FROM client_apis CROSS JOIN apis ON apis.id = client_apis.api_id WHERE client_apis.client_id = ? ORDER BY apis.name, apis.id, client_apis.role`,
    );
    this.clientExists = db.prepare<[string], number>('SELECT 1 FROM clients WHERE client_id = ?').pluck();
    this.deleteGrants = db.prepare<[string]>('DELETE FROM client_apis WHERE client_id = ?');
    // Inserts only when the API is there: no row written tells the caller which grant named nothing.
    this.insertGrant = db.prepare<[string, string, string | null, string]>('INSERT INTO client_apis (client_id, api_id, role, scopes) SELECT ?, id, ?, ? FROM apis WHERE id = ?');
    this.setGrantsTx = db.transaction((clientId: string, grants: readonly ClientApiGrant[]) => {
      if (!this.clientExists.get(clientId)) throw clientNotFound(clientId);
      this.deleteGrants.run(clientId);
      for (const grant of grants) {
        if (this.insertGrant.run(clientId, grant.role, grantScopesColumn(grant), grant.apiId).changes === 0) throw apiNotFound(grant.apiId);
      }
    });
  }

  async create(api: NewApi, now: number): Promise<ApiRecord> {
    const record = createdRecord(api, now);
    try {
      this.insertStmt.run(record.id, record.name, record.identifier, scopesColumn(record.scopes), record.tokenLifetime, record.tokenFormat, record.accepts, Number(record.builtIn), now, now);
    } catch (error) {
      const taken = takenColumn(error);
      if (taken === 'id') throw apiIdTaken(api.id);
      if (taken === 'identifier') throw identifierTaken(api.identifier);
      throw error;
    }
    return record;
  }

  async findById(id: string): Promise<ApiRecord | null> {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  async findByIdentifier(identifier: string): Promise<ApiRecord | null> {
    const row = this.byIdentifier.get(identifier);
    return row ? toRecord(row) : null;
  }

  async list({ after, limit }: ListOptions): Promise<Page<ApiRecord>> {
    let rows: ApiRow[];
    if (after) {
      const [name = '', id = ''] = decodeCursor(after, 2);
      rows = this.nextPage.all(name, id, limit + 1);
    } else {
      rows = this.firstPage.all(limit + 1);
    }
    const page = toPage(rows, limit, (row) => [row.name, row.id]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async count(): Promise<number> {
    return this.countStmt.get() ?? 0;
  }

  async update(id: string, patch: ApiPatch, now: number, options: UpdateOptions = {}): Promise<ApiRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof ApiPatch, ApiPatch[keyof ApiPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      assignments.push(`${PATCH_COLUMNS[key]} = ?`);
      values.push(patchValue(key, value));
    }
    // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
    const condition = options.onlyIfVersion === undefined ? '' : ' AND version = ?';
    try {
      const row = this.db
        .prepare<unknown[], ApiRow>(`UPDATE apis SET ${[...assignments, 'updated_at = ?', 'version = version + 1'].join(', ')} WHERE id = ?${condition} RETURNING ${COLUMNS}`)
        .get(...values, now, id, ...(options.onlyIfVersion === undefined ? [] : [options.onlyIfVersion]));
      return row ? toRecord(row) : null;
    } catch (error) {
      if (takenColumn(error) === 'identifier') throw identifierTaken(patch.identifier ?? '');
      throw error;
    }
  }

  async delete(id: string, options: UpdateOptions = {}): Promise<boolean> {
    // The grants naming it go with it (ON DELETE CASCADE).
    const version = options.onlyIfVersion;
    return (version === undefined ? this.deleteStmt.run(id) : this.deleteVersionStmt.run(id, version)).changes > 0;
  }

  async usesOf(apiId: string): Promise<ApiUse[]> {
    return toUses(this.usesOfStmt.all(apiId));
  }

  async accessOf(clientId: string): Promise<ClientApiAccess[]> {
    return this.accessOfStmt.all(clientId).map(toAccess);
  }

  async setGrants(clientId: string, grants: ClientApiGrant[]): Promise<void> {
    checkGrants(grants);
    try {
      // IMMEDIATE: the check of the client and each API and the writes see one state of the file.
      this.setGrantsTx.immediate(clientId, grants);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw apiNotFound(null);
      throw error;
    }
  }
}
