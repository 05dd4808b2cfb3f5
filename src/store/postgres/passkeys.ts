// Passkeys (WebAuthn credentials) on PostgreSQL.
import { ConflictError } from '../../errors.js';
import type { NewPasskey, PasskeyRecord } from '../records.js';
import type { PasskeyRepository } from '../store.js';
import { isUniqueViolation, query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, toValues, type PasskeyRow } from '../rows/passkeys.js';

const INSERT = statement('passkeys.insert', `INSERT INTO passkeys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)`);
const BY_ID = statement('passkeys.byId', `SELECT ${COLUMNS} FROM passkeys WHERE credential_id = $1`);
const BY_USER = statement('passkeys.byUser', `SELECT ${COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, credential_id`);
const RECORD_USE = statement('passkeys.recordUse', 'UPDATE passkeys SET counter = $1, last_used_at = $2 WHERE credential_id = $3');
// The owner in the WHERE clause: a person can rename or remove only their own passkeys.
const RENAME = statement('passkeys.rename', 'UPDATE passkeys SET name = $1 WHERE user_id = $2 AND credential_id = $3');
const DELETE = statement('passkeys.delete', 'DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2');
const DELETE_FOR_USER = statement('passkeys.deleteForUser', 'DELETE FROM passkeys WHERE user_id = $1');

export class PostgresPasskeyRepository implements PasskeyRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(passkey: NewPasskey): Promise<void> {
    try {
      await query(this.pool, INSERT, toValues(passkey, Boolean));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('this passkey is already registered');
      throw error;
    }
  }

  async findById(credentialId: string): Promise<PasskeyRecord | null> {
    const row = (await query<PasskeyRow>(this.pool, BY_ID, [credentialId])).rows[0];
    return row ? toRecord(row) : null;
  }

  async listForUser(userId: string): Promise<PasskeyRecord[]> {
    return (await query<PasskeyRow>(this.pool, BY_USER, [userId])).rows.map(toRecord);
  }

  async recordUse(credentialId: string, counter: number, now: number): Promise<void> {
    await query(this.pool, RECORD_USE, [counter, now, credentialId]);
  }

  async rename(userId: string, credentialId: string, name: string): Promise<boolean> {
    return ((await query(this.pool, RENAME, [name, userId, credentialId])).rowCount ?? 0) > 0;
  }

  async remove(userId: string, credentialId: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [userId, credentialId])).rowCount ?? 0) > 0;
  }

  async removeAllForUser(userId: string): Promise<number> {
    return (await query(this.pool, DELETE_FOR_USER, [userId])).rowCount ?? 0;
  }
}
