// What people allowed applications, on PostgreSQL (issue 24, migration 0015).
import type { ConsentRecord } from '../records.js';
import { COLUMNS, consentTargetGone, scopesColumn, toRecord, type ConsentRow } from '../rows/consents.js';
import type { ConsentRepository } from '../store.js';
import { isAnyForeignKeyViolation, query, statement, type PostgresPool } from './database.js';

const BY_KEY = statement('consents.byKey', `SELECT ${COLUMNS} FROM consents WHERE user_id = $1 AND client_id = $2`);
// One statement: a new row, or the row's scopes in their order followed by the granted names it lacks. Of two grants
// racing on one row, the second waits for the first's row lock and then computes the union from the committed row
// (ON CONFLICT DO UPDATE works on the latest version of the conflicting row, whatever its snapshot): both land.
// A first grant racing another first grant becomes its update the same way. The stored text is json_agg's.
const GRANT = statement(
  'consents.grant',
  `INSERT INTO consents (${COLUMNS}) VALUES ($1, $2, $3, $4, $4, NULL) ` +
    'ON CONFLICT (user_id, client_id) DO UPDATE SET ' +
    'scopes = (SELECT json_agg(value ORDER BY part, position)::text FROM (' +
    'SELECT 0 AS part, position, value FROM json_array_elements_text(consents.scopes::json) WITH ORDINALITY AS stored (value, position) ' +
    'UNION ALL SELECT 1, position, value FROM json_array_elements_text(EXCLUDED.scopes::json) WITH ORDINALITY AS granted (value, position) ' +
    'WHERE granted.value NOT IN (SELECT json_array_elements_text(consents.scopes::json))) AS merged), ' +
    `updated_at = EXCLUDED.updated_at RETURNING ${COLUMNS}`,
);
const TOUCH = statement('consents.touch', 'UPDATE consents SET last_used_at = $1 WHERE user_id = $2 AND client_id = $3');
// The primary key (user_id, client_id) finds a person's few rows.
const LIST_FOR_USER = statement('consents.listForUser', `SELECT ${COLUMNS} FROM consents WHERE user_id = $1 ORDER BY updated_at DESC, client_id`);
const REVOKE = statement('consents.revoke', 'DELETE FROM consents WHERE user_id = $1 AND client_id = $2');

export class PostgresConsentRepository implements ConsentRepository {
  constructor(private readonly pool: PostgresPool) {}

  async find(userId: string, clientId: string): Promise<ConsentRecord | null> {
    const row = (await query<ConsentRow>(this.pool, BY_KEY, [userId, clientId])).rows[0];
    return row ? toRecord(row) : null;
  }

  async grant(userId: string, clientId: string, scopes: readonly string[], now: number): Promise<ConsentRecord> {
    let row: ConsentRow | undefined;
    try {
      row = (await query<ConsentRow>(this.pool, GRANT, [userId, clientId, scopesColumn(scopes), now])).rows[0];
    } catch (error) {
      if (isAnyForeignKeyViolation(error)) throw consentTargetGone(userId, clientId);
      throw error;
    }
    if (!row) throw new Error('the consent upsert returned no row');
    return toRecord(row);
  }

  async touch(userId: string, clientId: string, now: number): Promise<void> {
    await query(this.pool, TOUCH, [now, userId, clientId]);
  }

  async listForUser(userId: string): Promise<ConsentRecord[]> {
    return (await query<ConsentRow>(this.pool, LIST_FOR_USER, [userId])).rows.map(toRecord);
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    return ((await query(this.pool, REVOKE, [userId, clientId])).rowCount ?? 0) > 0;
  }
}
