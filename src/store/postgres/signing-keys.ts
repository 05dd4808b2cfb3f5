import { ConflictError } from '../../errors.js';
import type { SigningKeyChange, SigningKeyRecord } from '../records.js';
import type { SigningKeyRepository } from '../store.js';
import { inTransaction, isUniqueViolation, query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, type SigningKeyRow } from '../rows/signing-keys.js';

const INSERT = statement('signingKeys.insert', `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`);
const LIST = statement('signingKeys.list', `SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid`);
// An absent fact keeps its value (COALESCE with NULL); a stored retirement is never replaced (COALESCE the other
// way round). Nodes deciding at once: the row lock makes the later UPDATE wait, then re-evaluate on the row the
// first one committed (READ COMMITTED), so it keeps the first decision and returns it.
const UPDATE = statement(
  'signingKeys.update',
  `UPDATE signing_keys SET activated_at = COALESCE($2::bigint, activated_at), revoked_at = COALESCE($3::bigint, revoked_at),
   retired_at = COALESCE(retired_at, $4::bigint) WHERE kid = $1 RETURNING ${COLUMNS}`,
);

export class PostgresSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly pool: PostgresPool) {}

  async insert(key: SigningKeyRecord): Promise<void> {
    try {
      await query(this.pool, INSERT, [key.kid, key.alg, key.publicJwk, key.privateKeyCiphertext, key.createdAt, key.activatedAt, key.retiredAt, key.revokedAt]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a signing key with the kid ${key.kid} already exists`);
      throw error;
    }
  }

  async insertUnlessScheduled(key: SigningKeyRecord, after: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // SHARE ROW EXCLUSIVE conflicts with itself: nodes scheduling together take turns, and each one after the
      // first sees the first one's key.
      await client.query('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
      if ((await client.query('SELECT 1 FROM signing_keys WHERE activated_at > $1 AND revoked_at IS NULL LIMIT 1', [after])).rowCount) return false;
      await client.query({
        name: INSERT.name,
        text: INSERT.text,
        values: [key.kid, key.alg, key.publicJwk, key.privateKeyCiphertext, key.createdAt, key.activatedAt, key.retiredAt, key.revokedAt],
      });
      return true;
    });
  }

  async list(): Promise<SigningKeyRecord[]> {
    return (await query<SigningKeyRow>(this.pool, LIST)).rows.map(toRecord);
  }

  async update(kid: string, change: SigningKeyChange): Promise<SigningKeyRecord | null> {
    const row = (await query<SigningKeyRow>(this.pool, UPDATE, [kid, change.activatedAt ?? null, change.revokedAt ?? null, change.retiredAt ?? null])).rows[0];
    return row ? toRecord(row) : null;
  }
}
