import { ConflictError } from '../../errors.js';
import { decodeCursor, toPage } from '../cursor.js';
import type { ClientPatch, ClientRecord, NewClient } from '../records.js';
import type { ClientRepository, ListOptions } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';
import { COLUMNS, PATCH_COLUMNS, toRecord, type ClientRow } from '../rows/clients.js';

/** The column form of one patched value: arrays as JSON text, booleans as 0/1. */
function toColumn(value: ClientPatch[keyof ClientPatch]): string | number | null {
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'boolean') return Number(value);
  return value ?? null;
}

export class SqliteClientRepository implements ClientRepository {
  private readonly insertStmt;
  private readonly byId;
  private readonly firstPage;
  private readonly nextPage;
  private readonly countStmt;
  private readonly deleteStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO clients (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[string], ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE client_id = ?`);
    this.firstPage = db.prepare<[number], ClientRow>(`SELECT ${COLUMNS} FROM clients ORDER BY name, client_id LIMIT ?`);
    this.nextPage = db.prepare<[string, string, number], ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE (name, client_id) > (?, ?) ORDER BY name, client_id LIMIT ?`);
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM clients');
    this.deleteStmt = db.prepare('DELETE FROM clients WHERE client_id = ?');
  }

  async create(client: NewClient, now: number): Promise<ClientRecord> {
    const requireMfa = client.requireMfa ?? false;
    const refreshReuseGrace = client.refreshReuseGrace ?? null;
    try {
      this.insertStmt.run(
        client.clientId,
        client.name,
        client.clientType,
        client.secretHash,
        client.tokenEndpointAuthMethod,
        JSON.stringify(client.redirectUris),
        JSON.stringify(client.postLogoutRedirectUris),
        client.backchannelLogoutUri,
        JSON.stringify(client.grantTypes),
        JSON.stringify(client.scopes),
        Number(client.pkceRequired),
        Number(requireMfa),
        refreshReuseGrace,
        now,
        now,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a client with the id ${client.clientId} already exists`);
      throw error;
    }
    return { ...client, requireMfa, refreshReuseGrace, createdAt: now, updatedAt: now };
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

  async update(clientId: string, patch: ClientPatch, now: number): Promise<ClientRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof ClientPatch, ClientPatch[keyof ClientPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      assignments.push(`${PATCH_COLUMNS[key]} = ?`);
      values.push(toColumn(value));
    }
    const row = this.db
      .prepare<unknown[], ClientRow>(`UPDATE clients SET ${[...assignments, 'updated_at = ?'].join(', ')} WHERE client_id = ? RETURNING ${COLUMNS}`)
      .get(...values, now, clientId);
    return row ? toRecord(row) : null;
  }

  async delete(clientId: string): Promise<boolean> {
    return this.deleteStmt.run(clientId).changes > 0;
  }
}
