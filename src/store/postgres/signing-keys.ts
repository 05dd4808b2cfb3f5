import { ConflictError } from '../../errors.js';
import type { SigningKeyRecord, SigningKeyState } from '../records.js';
import type { SigningKeyRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';

interface SigningKeyRow {
  kid: string;
  alg: string;
  state: string;
  public_jwk: string;
  private_key_ciphertext: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}

const COLUMNS = 'kid, alg, state, public_jwk, private_key_ciphertext, created_at, activated_at, retired_at';

const INSERT = statement('signingKeys.insert', `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`);
const LIST = statement('signingKeys.list', `SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid`);
// The right-hand sides see the row before the update: activated_at keeps the first activation, and
// retired_at is stamped only by a move into 'retired', not by retiring a retired key again.
const SET_STATE = statement('signingKeys.setState', `UPDATE signing_keys SET
    state = $2::text,
    activated_at = CASE WHEN $2::text = 'active' THEN COALESCE(activated_at, $3::bigint) ELSE activated_at END,
    retired_at = CASE WHEN $2::text = 'retired' AND state <> 'retired' THEN $3::bigint ELSE retired_at END
  WHERE kid = $1 RETURNING ${COLUMNS}`);

function toRecord(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningKeyRecord['alg'],
    state: row.state as SigningKeyState,
    publicJwk: row.public_jwk,
    privateKeyCiphertext: row.private_key_ciphertext,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
  };
}

export class PostgresSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly pool: PostgresPool) {}

  async insert(key: SigningKeyRecord): Promise<void> {
    try {
      await query(this.pool, INSERT, [key.kid, key.alg, key.state, key.publicJwk, key.privateKeyCiphertext, key.createdAt,
        key.activatedAt, key.retiredAt]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a signing key with the kid ${key.kid} already exists`);
      throw error;
    }
  }

  async list(): Promise<SigningKeyRecord[]> {
    return (await query<SigningKeyRow>(this.pool, LIST)).rows.map(toRecord);
  }

  async setState(kid: string, state: SigningKeyState, now: number): Promise<SigningKeyRecord | null> {
    const row = (await query<SigningKeyRow>(this.pool, SET_STATE, [kid, state, now])).rows[0];
    return row ? toRecord(row) : null;
  }
}
