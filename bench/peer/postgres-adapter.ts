// A durable oidc-provider adapter on PostgreSQL (`pg`), for the same-work peer's PostgreSQL comparison (issue 27):
// the sibling of bench/peer/sqlite-adapter.ts, with the same table, the same one statement per adapter call
// (oidc-provider's adapter interface, node-oidc-provider example/my_adapter.js; the shape of its example SQL
// adapter, example/adapters/contributed/knex.js) and the server's default durability (synchronous_commit on).
// A pool of 10 connections, Gatehouse's default DATABASE_POOL_SIZE; each statement is a named (server-side
// prepared) statement. The URL says where the table goes: the bench gives a fresh schema on the search path
// (`?options=-c search_path=<schema>`, test/helpers/postgres.ts freshPostgresSchema), and the table is created
// there at start.
import pg from 'pg';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PeerAdapter } from './sqlite-adapter.js';

/** One table, as knex.js's oidc_payloads; times are epoch milliseconds. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  payload JSONB NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at BIGINT,
  consumed_at BIGINT,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (grant_id, kind) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid, kind) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code, kind) WHERE user_code IS NOT NULL;
`;

const POOL_SIZE = 10;
const LIVE = '(expires_at IS NULL OR expires_at > $3)';
const COLUMNS = 'payload, consumed_at';

/** Each adapter call's one statement, named so that PostgreSQL prepares it once per connection. */
const STATEMENTS = {
  upsert: `INSERT INTO oidc_payloads (kind, id, payload, grant_id, user_code, uid, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
      user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
  find: `SELECT ${COLUMNS} FROM oidc_payloads WHERE kind = $1 AND id = $2 AND ${LIVE}`,
  findByUid: `SELECT ${COLUMNS} FROM oidc_payloads WHERE kind = $1 AND uid = $2 AND ${LIVE} LIMIT 1`,
  findByUserCode: `SELECT ${COLUMNS} FROM oidc_payloads WHERE kind = $1 AND user_code = $2 AND ${LIVE} LIMIT 1`,
  consume: 'UPDATE oidc_payloads SET consumed_at = $3 WHERE kind = $1 AND id = $2',
  destroy: 'DELETE FROM oidc_payloads WHERE kind = $1 AND id = $2',
  revokeByGrantId: 'DELETE FROM oidc_payloads WHERE kind = $1 AND grant_id = $2',
} as const;

interface Row {
  payload: AdapterPayload;
  /** BIGINT arrives as a string (pg's default parser). */
  consumed_at: string | null;
}

function payloadOf(rows: Row[]): AdapterPayload | undefined {
  const row = rows[0];
  if (!row) return undefined;
  return row.consumed_at === null ? row.payload : { ...row.payload, consumed: Math.floor(Number(row.consumed_at) / 1000) };
}

export async function openPostgresAdapter(url: string): Promise<PeerAdapter> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  await pool.query(SCHEMA);
  await pool.query('DELETE FROM oidc_payloads WHERE expires_at <= $1', [Date.now()]);

  const run = async (name: keyof typeof STATEMENTS, values: unknown[]): Promise<Row[]> => (await pool.query<Row>({ name: `oidc_${name}`, text: STATEMENTS[name], values })).rows;

  class PostgresAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
      await run('upsert', [this.kind, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt]);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await run('find', [this.kind, id, Date.now()]));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await run('findByUid', [this.kind, uid, Date.now()]));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await run('findByUserCode', [this.kind, userCode, Date.now()]));
    }

    async consume(id: string): Promise<void> {
      await run('consume', [this.kind, id, Date.now()]);
    }

    async destroy(id: string): Promise<void> {
      await run('destroy', [this.kind, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await run('revokeByGrantId', [this.kind, grantId]);
    }
  }

  return {
    factory: (model) => new PostgresAdapter(model),
    close: () => pool.end(),
  };
}
