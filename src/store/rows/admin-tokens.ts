// The admin_tokens table's columns and how a row becomes a record, shared by every engine (issue 26, migration
// 0017: an administrator's personal tokens for the management API, kept only as SHA-256 hashes).
import { ConflictError } from '../../errors.js';
import { MANAGE_SCOPES, type AdminTokenRecord, type ManageScope, type NewAdminToken } from '../records.js';

export interface AdminTokenRow {
  id: string;
  token_hash: string;
  user_id: string | null;
  scopes: string;
  description: string | null;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export const COLUMNS = 'id, token_hash, user_id, scopes, description, created_by, created_at, expires_at, revoked_at, last_used_at';

/** The columns a new token writes, in toValues order (revoked_at and last_used_at start NULL). */
export const INSERT_COLUMNS = 'id, token_hash, user_id, scopes, description, created_by, created_at, expires_at';

export type AdminTokenValues = [string, string, string | null, string, string | null, string, number, number];

const KNOWN: ReadonlySet<string> = new Set(MANAGE_SCOPES);

/** Scopes as stored: space-separated, as an OAuth `scope` is written (RFC 6749 §3.3), in MANAGE_SCOPES order. */
export function scopesColumn(scopes: readonly ManageScope[]): string {
  const wanted = new Set(scopes);
  return MANAGE_SCOPES.filter((scope) => wanted.has(scope)).join(' ');
}

/** A word that is not a management scope (a row written by hand) grants nothing: fail closed. */
function scopesOf(column: string): ManageScope[] {
  return column.split(' ').filter((word): word is ManageScope => KNOWN.has(word));
}

export function toRecord(row: AdminTokenRow): AdminTokenRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    scopes: scopesOf(row.scopes),
    description: row.description,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export function toValues(token: NewAdminToken): AdminTokenValues {
  return [token.id, token.tokenHash, token.userId, scopesColumn(token.scopes), token.description, token.createdBy, token.createdAt, token.expiresAt];
}

/** What a new token's record reads back as: its scopes in stored order, never revoked or used yet. */
export function createdRecord(token: NewAdminToken): AdminTokenRecord {
  return { ...token, scopes: scopesOf(scopesColumn(token.scopes)), revokedAt: null, lastUsedAt: null };
}

/**
 * Live at a time (`{now}` is the engine's parameter): neither revoked nor expired. A token counts as expired from its
 * expires_at on, as the other expiring secrets do.
 */
export const LIVE = 'revoked_at IS NULL AND expires_at > {now}';

/** The id or (far less likely) the hash of a new token is taken: nothing is written. */
export function tokenTaken(token: NewAdminToken): ConflictError {
  return new ConflictError(`an admin token with the id ${token.id} (or the same token) already exists`);
}
