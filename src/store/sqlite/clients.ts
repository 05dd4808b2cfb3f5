import { ConflictError } from '../../errors.js';
import { decodeCursor, toPage } from '../cursor.js';
import type { ClientPatch, ClientRecord, NewClient } from '../records.js';
import type { ClientRepository, ListOptions, UpdateOptions } from '../store.js';
import { isForeignKeyViolation, isUniqueViolation, type SqliteDatabase } from './database.js';
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

/**
 * Each role's group ids as one JSON array, in id order: the primary key (client_id, role, group_id) hands them over
 * in that order, and ORDER BY inside the aggregate (SQLite 3.44) says so rather than relying on it.
 */
const SELECT = selectColumns((role) => `(SELECT json_group_array(group_id ORDER BY group_id) FROM client_groups WHERE client_groups.client_id = clients.client_id AND role = '${role}')`);

/** The column form of one patched value, booleans as 0/1. */
function toColumn(key: keyof ColumnPatch, value: ColumnPatch[keyof ColumnPatch]): string | number | null {
  const column = patchValue(key, value);
  return typeof column === 'boolean' ? Number(column) : column;
}

export class SqliteClientRepository implements ClientRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly firstPage;
  private readonly nextPage;
  private readonly countStmt;
  private readonly deleteStmt;
  private readonly deleteVersionStmt;
  private readonly rotateTokenStmt;
  private readonly knownGroups;
  private readonly insertGroups;
  private readonly deleteGroups;
  private readonly createTx;
  private readonly updateTx;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO clients (${COLUMNS}) VALUES (${Array(INSERT_PLACEHOLDERS).fill('?').join(', ')})`);
    this.byId = db.prepare<[string], ClientRow>(`SELECT ${SELECT} FROM clients WHERE client_id = ?`);
    this.firstPage = db.prepare<[number], ClientRow>(`SELECT ${SELECT} FROM clients ORDER BY name, client_id LIMIT ?`);
    this.nextPage = db.prepare<[string, string, number], ClientRow>(`SELECT ${SELECT} FROM clients WHERE (name, client_id) > (?, ?) ORDER BY name, client_id LIMIT ?`);
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM clients');
    this.deleteStmt = db.prepare('DELETE FROM clients WHERE client_id = ?');
    this.deleteVersionStmt = db.prepare('DELETE FROM clients WHERE client_id = ? AND version = ?');
    // One conditional statement: of two updates presenting the same registration access token, one sees its row.
    this.rotateTokenStmt = db.prepare<[string, number, string, string]>(
      'UPDATE clients SET registration_token_hash = ?, updated_at = ?, version = version + 1 WHERE client_id = ? AND registration_token_hash = ?',
    );
    this.knownGroups = db.prepare<[string], string>('SELECT id FROM groups WHERE id IN (SELECT value FROM json_each(?))').pluck();
    this.insertGroups = db.prepare<[string, string, string]>('INSERT INTO client_groups (client_id, group_id, role) SELECT ?, value, ? FROM json_each(?)');
    this.deleteGroups = db.prepare<[string, string]>('DELETE FROM client_groups WHERE client_id = ? AND role = ?');
    // The client and its group rules are one write: a rule naming a group that is not there writes nothing at all.
    this.createTx = db.transaction((record: ClientRecord) => {
      this.insertStmt.run(...insertValues(record).map((value) => (typeof value === 'boolean' ? Number(value) : value)));
      for (const { role, field } of GROUP_ROLES) this.writeGroups(record.clientId, role, record[field]);
    });
    this.updateTx = db.transaction((clientId: string, patch: ClientPatch, now: number, onlyIfVersion: number | null): ClientRow | undefined => {
      // Only the patched columns are written, so two concurrent edits of different fields both survive.
      const assignments: string[] = [];
      const values: (string | number | null)[] = [];
      for (const [key, value] of Object.entries(patch) as [keyof ColumnPatch, ColumnPatch[keyof ColumnPatch]][]) {
        if (value === undefined || !(key in PATCH_COLUMNS)) continue;
        assignments.push(`${PATCH_COLUMNS[key]} = ?`);
        values.push(toColumn(key, value));
      }
      // Issue 26: every update grows the version, and `onlyIfVersion` is a condition of this same statement.
      const condition = onlyIfVersion === null ? '' : ' AND version = ?';
      const updated = this.db
        .prepare(`UPDATE clients SET ${[...assignments, 'updated_at = ?', 'version = version + 1'].join(', ')} WHERE client_id = ?${condition}`)
        .run(...values, now, clientId, ...(onlyIfVersion === null ? [] : [onlyIfVersion]));
      if (updated.changes === 0) return undefined;
      // A role's rules are replaced only when its list is in the patch.
      for (const { role, field } of GROUP_ROLES) {
        const ids = patch[field];
        if (ids === undefined) continue;
        this.deleteGroups.run(clientId, role);
        this.writeGroups(clientId, role, groupIdList(ids));
      }
      return this.byId.get(clientId);
    });
  }

  /** Inside the caller's transaction: the first id that names no group refuses the whole write. */
  private writeGroups(clientId: string, role: 'access' | 'claim', ids: readonly string[]): void {
    if (ids.length === 0) return;
    const json = JSON.stringify(ids);
    const known = new Set(this.knownGroups.all(json));
    const missing = ids.find((id) => !known.has(id));
    if (missing !== undefined) throw unknownGroup(missing);
    this.insertGroups.run(clientId, role, json);
  }

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
    try {
      this.createTx(record);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a client with the id ${client.clientId} already exists`);
      if (isForeignKeyViolation(error)) throw unknownGroup(null);
      throw error;
    }
    return record;
  }

  async findById(clientId: string): Promise<ClientRecord | null> {
    const row = this.byId.get(clientId);
    return row ? toRecord(row) : null;
  }

  async list({ after, limit }: ListOptions) {
    let rows: ClientRow[];
    if (after) {
      const [name = '', clientId = ''] = decodeCursor(after, 2);
      rows = this.nextPage.all(name, clientId, limit + 1);
    } else {
      rows = this.firstPage.all(limit + 1);
    }
    const page = toPage(rows, limit, (row) => [row.name, row.client_id]);
    return { items: page.items.map(toRecord), next: page.next };
  }

  async count(): Promise<number> {
    return this.countStmt.get()?.n ?? 0;
  }

  async update(clientId: string, patch: ClientPatch, now: number, options: UpdateOptions = {}): Promise<ClientRecord | null> {
    let row: ClientRow | undefined;
    try {
      row = this.updateTx(clientId, patch, now, options.onlyIfVersion ?? null);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw unknownGroup(null);
      throw error;
    }
    return row ? toRecord(row) : null;
  }

  async delete(clientId: string, options: UpdateOptions = {}): Promise<boolean> {
    const version = options.onlyIfVersion;
    return (version === undefined ? this.deleteStmt.run(clientId) : this.deleteVersionStmt.run(clientId, version)).changes > 0;
  }

  async rotateRegistrationToken(clientId: string, expected: string, next: string, now: number): Promise<boolean> {
    return this.rotateTokenStmt.run(next, now, clientId, expected).changes === 1;
  }
}
