import { ConflictError } from '../../errors.js';
import { decodeCursor, toPage } from '../cursor.js';
import type { ClientPatch, ClientRecord, ClientType, NewClient, TokenEndpointAuthMethod } from '../records.js';
import type { ClientRepository, ListOptions } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

interface ClientRow {
  client_id: string;
  name: string;
  client_type: string;
  secret_hash: string | null;
  token_endpoint_auth_method: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  backchannel_logout_uri: string | null;
  grant_types: string;
  scopes: string;
  pkce_required: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, '
  + 'post_logout_redirect_uris, backchannel_logout_uri, grant_types, scopes, pkce_required, created_at, updated_at';

const PATCH_COLUMNS: Record<keyof ClientPatch, string> = {
  name: 'name',
  clientType: 'client_type',
  secretHash: 'secret_hash',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  redirectUris: 'redirect_uris',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
  backchannelLogoutUri: 'backchannel_logout_uri',
  grantTypes: 'grant_types',
  scopes: 'scopes',
  pkceRequired: 'pkce_required',
};

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    clientType: row.client_type as ClientType,
    secretHash: row.secret_hash,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    backchannelLogoutUri: row.backchannel_logout_uri,
    grantTypes: JSON.parse(row.grant_types) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    pkceRequired: row.pkce_required === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

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
  private readonly deleteStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO clients (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[string], ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE client_id = ?`);
    this.firstPage = db.prepare<[number], ClientRow>(`SELECT ${COLUMNS} FROM clients ORDER BY name, client_id LIMIT ?`);
    this.nextPage = db.prepare<[string, string, number], ClientRow>(
      `SELECT ${COLUMNS} FROM clients WHERE (name, client_id) > (?, ?) ORDER BY name, client_id LIMIT ?`,
    );
    this.deleteStmt = db.prepare('DELETE FROM clients WHERE client_id = ?');
  }

  async create(client: NewClient, now: number): Promise<ClientRecord> {
    try {
      this.insertStmt.run(client.clientId, client.name, client.clientType, client.secretHash, client.tokenEndpointAuthMethod,
        JSON.stringify(client.redirectUris), JSON.stringify(client.postLogoutRedirectUris), client.backchannelLogoutUri,
        JSON.stringify(client.grantTypes), JSON.stringify(client.scopes), Number(client.pkceRequired), now, now);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a client with the id ${client.clientId} already exists`);
      throw error;
    }
    return { ...client, createdAt: now, updatedAt: now };
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

  async update(clientId: string, patch: ClientPatch, now: number): Promise<ClientRecord | null> {
    // Only the patched columns are written, so two concurrent edits of different fields both survive.
    const assignments: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof ClientPatch, ClientPatch[keyof ClientPatch]][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      assignments.push(`${PATCH_COLUMNS[key]} = ?`);
      values.push(toColumn(value));
    }
    const row = this.db.prepare<unknown[], ClientRow>(
      `UPDATE clients SET ${[...assignments, 'updated_at = ?'].join(', ')} WHERE client_id = ? RETURNING ${COLUMNS}`,
    ).get(...values, now, clientId);
    return row ? toRecord(row) : null;
  }

  async delete(clientId: string): Promise<boolean> {
    return this.deleteStmt.run(clientId).changes > 0;
  }
}
