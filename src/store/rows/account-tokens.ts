// The account tokens table's columns and how a row becomes a record, shared by every engine.
import type { AccountTokenPurpose, AccountTokenRecord, NewAccountToken } from '../records.js';

export interface AccountTokenRow {
  token_hash: string;
  purpose: string;
  user_id: string;
  email: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export const COLUMNS = 'token_hash, purpose, user_id, email, created_at, expires_at, used_at';

export function toRecord(row: AccountTokenRow): AccountTokenRecord {
  return {
    tokenHash: row.token_hash,
    // The table's CHECK admits only the purposes the type names.
    purpose: row.purpose as AccountTokenPurpose,
    userId: row.user_id,
    email: row.email,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

export type AccountTokenValues = [string, AccountTokenPurpose, string, string, number, number];

/** A new token's values in COLUMNS order, used_at left out (an INSERT writes NULL there). */
export function toValues(token: NewAccountToken): AccountTokenValues {
  return [token.tokenHash, token.purpose, token.userId, token.email, token.createdAt, token.expiresAt];
}
