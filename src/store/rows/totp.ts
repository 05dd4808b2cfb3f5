// The TOTP credentials table's columns and how a row becomes a record, shared by every engine.
import type { NewTotpCredential, TotpCredentialRecord } from '../records.js';

export interface TotpRow {
  user_id: string;
  sealed_secret: string;
  confirmed_at: number | null;
  last_used_step: number;
  created_at: number;
}

export const COLUMNS = 'user_id, sealed_secret, confirmed_at, last_used_step, created_at';

export function toRecord(row: TotpRow): TotpCredentialRecord {
  return {
    userId: row.user_id,
    sealedSecret: row.sealed_secret,
    confirmedAt: row.confirmed_at,
    lastUsedStep: row.last_used_step,
    createdAt: row.created_at,
  };
}

export type TotpValues = [string, string, number];

/** A new, pending credential's values: user_id, sealed_secret, created_at (confirmed_at NULL, last_used_step -1). */
export function toValues(credential: NewTotpCredential): TotpValues {
  return [credential.userId, credential.sealedSecret, credential.createdAt];
}
