// The consents table's columns and how a row becomes a record, shared by every engine (issue 24, migration 0015).
import { NotFoundError } from '../../errors.js';
import type { ConsentRecord } from '../records.js';

export interface ConsentRow {
  user_id: string;
  client_id: string;
  /** A JSON array of scope names, in the order first granted. */
  scopes: string;
  granted_at: number;
  updated_at: number;
  last_used_at: number | null;
}

export const COLUMNS = 'user_id, client_id, scopes, granted_at, updated_at, last_used_at';

export function toRecord(row: ConsentRow): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: JSON.parse(row.scopes) as string[],
    grantedAt: row.granted_at,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
  };
}

/**
 * The granted scopes as the JSON text a new row holds: each name once, in the order given. The engine's upsert
 * appends to an existing row only the names it does not hold yet, so the stored list never repeats a name.
 */
export function scopesColumn(scopes: readonly string[]): string {
  return JSON.stringify([...new Set(scopes)]);
}

/** The person or the application a consent names is gone (deleted meanwhile): nothing is written. */
export function consentTargetGone(userId: string, clientId: string): NotFoundError {
  return new NotFoundError(`there is no account ${userId} or no application ${clientId} to record a consent for`);
}
