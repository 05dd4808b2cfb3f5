// TOTP authenticators on PostgreSQL.
import type { NewTotpCredential, TotpCredentialRecord } from '../records.js';
import type { TotpRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, toValues, type TotpRow } from '../rows/totp.js';

// One statement: a pending enrolment is replaced, a confirmed authenticator is left alone (the DO UPDATE's WHERE
// fails and no row counts), so a second enrolment never overwrites a working one. A concurrent first enrolment
// conflicts on the key, waits for the other to commit, and then replaces it (still pending) or not (confirmed).
const BEGIN = statement(
  'totp.begin',
  `INSERT INTO totp_credentials (${COLUMNS}) VALUES ($1, $2, NULL, -1, $3) ON CONFLICT (user_id) DO UPDATE SET ` +
    'sealed_secret = excluded.sealed_secret, last_used_step = -1, created_at = excluded.created_at WHERE totp_credentials.confirmed_at IS NULL',
);
const BY_USER = statement('totp.byUser', `SELECT ${COLUMNS} FROM totp_credentials WHERE user_id = $1`);
const CONFIRM = statement('totp.confirm', 'UPDATE totp_credentials SET confirmed_at = $1, last_used_step = $2 WHERE user_id = $3 AND confirmed_at IS NULL');
// One conditional statement, so of any number of concurrent uses of one code exactly one moves the step on
// (RFC 6238 §5.2: a code is accepted once): the others wait for its row lock, re-check the WHERE clause against
// the committed row, and match nothing. A lower step, a code from before the last one accepted, fails too.
const USE_STEP = statement('totp.useStep', 'UPDATE totp_credentials SET last_used_step = $1 WHERE user_id = $2 AND confirmed_at IS NOT NULL AND last_used_step < $1');
const DELETE = statement('totp.delete', 'DELETE FROM totp_credentials WHERE user_id = $1');

export class PostgresTotpRepository implements TotpRepository {
  constructor(private readonly pool: PostgresPool) {}

  async begin(credential: NewTotpCredential): Promise<boolean> {
    return ((await query(this.pool, BEGIN, toValues(credential))).rowCount ?? 0) > 0;
  }

  async find(userId: string): Promise<TotpCredentialRecord | null> {
    const row = (await query<TotpRow>(this.pool, BY_USER, [userId])).rows[0];
    return row ? toRecord(row) : null;
  }

  async confirm(userId: string, step: number, now: number): Promise<boolean> {
    return ((await query(this.pool, CONFIRM, [now, step, userId])).rowCount ?? 0) > 0;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    return ((await query(this.pool, USE_STEP, [step, userId])).rowCount ?? 0) > 0;
  }

  async remove(userId: string): Promise<boolean> {
    return ((await query(this.pool, DELETE, [userId])).rowCount ?? 0) > 0;
  }
}
