// The apis and client_apis tables' columns and how rows become records, shared by every engine (issue 22,
// migration 0013).
import { ConflictError, NotFoundError } from '../../errors.js';
import type { AccessTokenFormat, ApiAudience, ApiPatch, ApiRecord, ApiScope, ApiUse, ClientApiAccess, ClientApiGrant, ClientApiRole, NewApi } from '../records.js';

export interface ApiRow {
  id: string;
  name: string;
  identifier: string;
  /** JSON: [{"name", "description"}, …] in the administrator's order. */
  scopes: string;
  token_lifetime: number | null;
  token_format: string;
  accepts: string;
  /** Issue 26 (migration 0017): 0 or 1 on SQLite, a boolean on PostgreSQL. */
  built_in: number | boolean;
  created_at: number;
  updated_at: number;
  /** Issue 26: 1 at the insert (the column's default), one more at every update. */
  version: number;
}

/** One grant with its API's columns (accessOf): the grant's own scopes are `grant_scopes`. */
export interface ClientApiAccessRow extends ApiRow {
  role: string;
  grant_scopes: string | null;
}

/** One row per (client, role) naming an API, in client name order. */
export interface ApiUseRow {
  client_id: string;
  name: string;
  role: string;
}

/** The columns an INSERT gives, in order (the version starts at the column's default, 1). */
export const INSERT_COLUMNS = 'id, name, identifier, scopes, token_lifetime, token_format, accepts, built_in, created_at, updated_at';

/** The columns a read selects. */
export const COLUMNS = `${INSERT_COLUMNS}, version`;

/** The columns through the table's name, for the statements that join client_apis (which has `scopes` too). */
export const QUALIFIED_COLUMNS = COLUMNS.split(',')
  .map((column) => `apis.${column.trim()}`)
  .join(', ');

/** accessOf's columns: the API's, then the grant's role and scopes. */
export const ACCESS_COLUMNS = `${QUALIFIED_COLUMNS}, client_apis.role, client_apis.scopes AS grant_scopes`;

/** The patchable fields and their columns. */
export const PATCH_COLUMNS: Record<keyof ApiPatch, string> = {
  name: 'name',
  identifier: 'identifier',
  scopes: 'scopes',
  tokenLifetime: 'token_lifetime',
  tokenFormat: 'token_format',
  accepts: 'accepts',
};

/** A new API's record as create() returns it: the scopes with their name and description only, not built in unless said. */
export function createdRecord(api: NewApi, now: number): ApiRecord {
  return {
    ...api,
    scopes: api.scopes.map((scope) => ({ name: scope.name, description: scope.description })),
    builtIn: api.builtIn ?? false,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

/** The scopes as stored: each with its name and description only, in the given order. */
export function scopesColumn(scopes: readonly ApiScope[]): string {
  return JSON.stringify(scopes.map((scope) => ({ name: scope.name, description: scope.description })));
}

/** The column form of one patched value. */
export function patchValue(key: keyof ApiPatch, value: ApiPatch[keyof ApiPatch]): string | number | null {
  if (key === 'scopes') return scopesColumn(value as ApiScope[]);
  return (value as string | number | null | undefined) ?? null;
}

/** A grant's scopes as stored: NULL for every scope (and always for 'introspect'), else a JSON array of names. */
export function grantScopesColumn(grant: ClientApiGrant): string | null {
  return grant.role === 'request' && grant.scopes !== null ? JSON.stringify([...grant.scopes]) : null;
}

/** 'opaque' or 'jwt' (the CHECK allows nothing else; anything unexpected reads as the default). */
function tokenFormat(column: string): AccessTokenFormat {
  return column === 'opaque' ? 'opaque' : 'jwt';
}

function audience(column: string): ApiAudience {
  return column === 'people' || column === 'machines' ? column : 'both';
}

/** Anything but 'introspect' reads as 'request'; the CHECK allows nothing else. */
function role(column: string): ClientApiRole {
  return column === 'introspect' ? 'introspect' : 'request';
}

export function toRecord(row: ApiRow): ApiRecord {
  return {
    id: row.id,
    name: row.name,
    identifier: row.identifier,
    scopes: (JSON.parse(row.scopes) as ApiScope[]).map((scope) => ({ name: scope.name, description: scope.description })),
    tokenLifetime: row.token_lifetime,
    tokenFormat: tokenFormat(row.token_format),
    accepts: audience(row.accepts),
    builtIn: Boolean(row.built_in),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export function toAccess(row: ClientApiAccessRow): ClientApiAccess {
  const grantRole = role(row.role);
  return {
    apiId: row.id,
    role: grantRole,
    scopes: grantRole === 'request' && row.grant_scopes !== null ? (JSON.parse(row.grant_scopes) as string[]) : null,
    api: toRecord(row),
  };
}

/** Rows in client order (name, id) and role order become one use per client with its roles. */
export function toUses(rows: readonly ApiUseRow[]): ApiUse[] {
  const uses: ApiUse[] = [];
  for (const row of rows) {
    const last = uses[uses.length - 1];
    if (last && last.clientId === row.client_id) last.roles.push(role(row.role));
    else uses.push({ clientId: row.client_id, name: row.name, roles: [role(row.role)] });
  }
  return uses;
}

/**
 * The grants as they are written: one per (API, role); the same pair twice is refused (ConflictError) rather than
 * one of them silently kept.
 */
export function checkGrants(grants: readonly ClientApiGrant[]): void {
  const seen = new Set<string>();
  for (const grant of grants) {
    const key = `${grant.role} ${grant.apiId}`;
    if (seen.has(key)) throw new ConflictError(`the API ${grant.apiId} is granted twice with the role ${grant.role}`);
    seen.add(key);
  }
}

export function identifierTaken(identifier: string): ConflictError {
  return new ConflictError(`an API with the identifier ${identifier} already exists`);
}

export function apiIdTaken(id: string): ConflictError {
  return new ConflictError(`an API with the id ${id} already exists`);
}

export function apiNotFound(id: string | null): NotFoundError {
  return new NotFoundError(id === null ? 'an API the grants name no longer exists' : `there is no API with the id ${id}`);
}

export function clientNotFound(clientId: string): NotFoundError {
  return new NotFoundError(`there is no client with the id ${clientId}`);
}
