import { ConflictError } from '../../errors.js';
import { decodeCursor, toPage } from '../cursor.js';
import type { ClientPatch, ClientRecord, NewClient } from '../records.js';
import type { ClientRepository, ListOptions } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';
import { COLUMNS, PATCH_COLUMNS, toRecord, type ClientRow } from '../rows/clients.js';

const INSERT = statement('clients.insert', `INSERT INTO clients (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`);
const BY_ID = statement('clients.byId', `SELECT ${COLUMNS} FROM clients WHERE client_id = $1`);
const FIRST_PAGE = statement('clients.firstPage', `SELECT ${COLUMNS} FROM clients ORDER BY name, client_id LIMIT $1`);
const NEXT_PAGE = statement('clients.nextPage', `SELECT ${COLUMNS} FROM clients WHERE (name, client_id) > ($1, $2) ORDER BY name, client_id LIMIT $3`);
const COUNT = statement('clients.count', 'SELECT count(*) AS n FROM clients');
const DELETE = statement('clients.delete', 'DELETE FROM clients WHERE client_id = $1');

/** The column form of one patched value: arrays as JSON text (pg would send a JS array as a PostgreSQL array). */
function toColumn(value: ClientPatch[keyof ClientPatch]): string | number | boolean | null {
  if (Array.isArray(value)) return JSON.stringify(value);
  return value ?? null;
}

export class PostgresClientRepository implements ClientRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(client: NewClient, now: number): Promise<ClientRecord> {
    const requireMfa = client.requireMfa ?? false;
    const refreshReuseGrace = client.refreshReuseGrace ?? null;
    try {
      await query(this.pool, INSERT, [
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
        client.pkceRequired,
        requireMfa,
        refreshReuseGrace,
        now,
        now,
      ]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a client with the id ${client.clientId} already exists`);
      throw error;
    }
    return { ...client, requireMfa, refreshReuseGrace, createdAt: now, updatedAt: now };
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

  async update(clientId: string, patch: ClientPatch, now: number): Promise<ClientRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof ClientPatch, ClientPatch[keyof ClientPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      values.push(toColumn(value));
      assignments.push(`${PATCH_COLUMNS[key]} = $${values.length}`);
    }
    values.push(now);
    assignments.push(`updated_at = $${values.length}`);
    values.push(clientId);
    const { rows } = await query<ClientRow>(this.pool, `UPDATE clients SET ${assignments.join(', ')} WHERE client_id = $${values.length} RETURNING ${COLUMNS}`, values);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async delete(clientId: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [clientId])).rowCount ?? 0) > 0;
  }
}
