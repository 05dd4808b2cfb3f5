// The signing keys table's columns and how a row becomes a record, shared by every engine.
import type { SigningKeyRecord } from '../records.js';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_ciphertext: string;
  created_at: number;
  activated_at: number;
  retired_at: number | null;
  revoked_at: number | null;
}

export const COLUMNS = 'kid, alg, public_jwk, private_key_ciphertext, created_at, activated_at, retired_at, revoked_at';

export function toRecord(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningKeyRecord['alg'],
    publicJwk: row.public_jwk,
    privateKeyCiphertext: row.private_key_ciphertext,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
    revokedAt: row.revoked_at,
  };
}
