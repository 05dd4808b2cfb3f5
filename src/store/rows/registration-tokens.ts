// The registration_tokens table's columns and how a row becomes a record, shared by every engine (issue 24,
// migration 0015: initial access tokens for POST /register, RFC 7591 §3).
import { ConflictError } from '../../errors.js';
import type { NewRegistrationToken, RegistrationTokenRecord } from '../records.js';

export interface RegistrationTokenRow {
  id: string;
  token_hash: string;
  uses_left: number | null;
  used: number;
  created_by: string;
  created_at: number;
  expires_at: number | null;
}

export const COLUMNS = 'id, token_hash, uses_left, used, created_by, created_at, expires_at';

export function toRecord(row: RegistrationTokenRow): RegistrationTokenRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    usesLeft: row.uses_left,
    used: row.used,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export type RegistrationTokenValues = [string, string, number | null, string, number, number | null];

/** A new token's values in COLUMNS order, `used` left out (an INSERT writes 0 there). */
export function toValues(token: NewRegistrationToken): RegistrationTokenValues {
  return [token.id, token.tokenHash, token.usesLeft, token.createdBy, token.createdAt, token.expiresAt];
}

/**
 * What makes a token usable at a time (the first parameter of the engine's statement is `now`): unexpired, and
 * uses left (NULL is unlimited). findUsable and use share it, so a token found usable is one a use may spend.
 */
export const USABLE = '(uses_left IS NULL OR uses_left > 0) AND (expires_at IS NULL OR expires_at > {now})';

/** The id or (far less likely) the hash of a new token is taken: nothing is written. */
export function tokenTaken(token: NewRegistrationToken): ConflictError {
  return new ConflictError(`a registration token with the id ${token.id} (or the same token) already exists`);
}
