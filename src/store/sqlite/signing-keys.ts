import { ConflictError } from '../../errors.js';
import type { SigningKeyRecord, SigningKeyState } from '../records.js';
import type { SigningKeyRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

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

export class SqliteSigningKeyRepository implements SigningKeyRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly setStateStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO signing_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.listStmt = db.prepare<[], SigningKeyRow>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid`);
    // The right-hand sides see the row before the update: activated_at keeps the first activation, and
    // retired_at is stamped only by a move into 'retired', not by retiring a retired key again.
    this.setStateStmt = db.prepare<{ kid: string; state: SigningKeyState; now: number }, SigningKeyRow>(`UPDATE signing_keys SET
        state = @state,
        activated_at = CASE WHEN @state = 'active' THEN COALESCE(activated_at, @now) ELSE activated_at END,
        retired_at = CASE WHEN @state = 'retired' AND state <> 'retired' THEN @now ELSE retired_at END
      WHERE kid = @kid RETURNING ${COLUMNS}`);
  }

  async insert(key: SigningKeyRecord): Promise<void> {
    try {
      this.insertStmt.run(key.kid, key.alg, key.state, key.publicJwk, key.privateKeyCiphertext, key.createdAt,
        key.activatedAt, key.retiredAt);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a signing key with the kid ${key.kid} already exists`);
      throw error;
    }
  }

  async list(): Promise<SigningKeyRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async setState(kid: string, state: SigningKeyState, now: number): Promise<SigningKeyRecord | null> {
    const row = this.setStateStmt.get({ kid, state, now });
    return row ? toRecord(row) : null;
  }
}
