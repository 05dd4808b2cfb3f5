// The sign-in challenges table's columns and how a row becomes a record, shared by every engine.
import type { NewSignInChallenge, SignInChallengePurpose, SignInChallengeRecord } from '../records.js';

export interface SignInChallengeRow {
  id_hash: string;
  purpose: string;
  browser_hash: string;
  user_id: string | null;
  value: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export const COLUMNS = 'id_hash, purpose, browser_hash, user_id, value, created_at, expires_at, used_at';

export function toRecord(row: SignInChallengeRow): SignInChallengeRecord {
  return {
    idHash: row.id_hash,
    // The table's CHECK admits only the purposes the type names.
    purpose: row.purpose as SignInChallengePurpose,
    browserHash: row.browser_hash,
    userId: row.user_id,
    value: row.value,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

export type SignInChallengeValues = [string, SignInChallengePurpose, string, string | null, string, number, number];

/** A new challenge's values in COLUMNS order, used_at left out (an INSERT writes NULL there). */
export function toValues(challenge: NewSignInChallenge): SignInChallengeValues {
  return [challenge.idHash, challenge.purpose, challenge.browserHash, challenge.userId, challenge.value, challenge.createdAt, challenge.expiresAt];
}
