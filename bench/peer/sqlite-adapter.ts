// A durable oidc-provider adapter on better-sqlite3, for the same-work peer (issue 27): the engine and durability
// Gatehouse runs on (WAL, synchronous=FULL: every commit waits for the disk), written as a simple adapter would
// be. It follows oidc-provider's adapter interface (node-oidc-provider example/my_adapter.js: upsert, find,
// findByUserCode, findByUid, consume, destroy, revokeByGrantId) and the shape of its example SQL adapter
// (example/adapters/contributed/knex.js before the examples moved to the Discussions: one table for every
// model with a kind column, the payload as JSON, the grantId, userCode and uid copied out for their look-ups,
// consumption and expiry as columns). Every adapter call is one prepared statement (prepared once, at open), run
// synchronously on the event loop: no writer thread, no batching, each statement its own transaction.
// Expired rows are never returned (find checks expires_at) and are deleted when the database is opened.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/** One table, as knex.js's oidc_payloads; times are epoch milliseconds. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (grant_id, kind) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid, kind) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code, kind) WHERE user_code IS NOT NULL;
`;

interface Row {
  payload: string;
  consumed_at: number | null;
}

/** The stored payload; a consumed one carries `consumed` (epoch seconds, as the in-memory adapter sets it). */
function payloadOf(row: Row | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
}

/** oidc-provider gives a lifetime in seconds, or none (then the row does not expire). */
function expiresAt(expiresIn: number | undefined): number | null {
  return typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
}

export interface PeerAdapter {
  /** What `configuration.adapter` takes: a factory called once per model name (lib/helpers/initialize_adapter.js). */
  factory: AdapterFactory;
  close(): Promise<void>;
}

export function openSqliteAdapter(file: string): PeerAdapter {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  db.prepare('DELETE FROM oidc_payloads WHERE expires_at <= ?').run(Date.now());

  const upsert = db.prepare<[string, string, string, string | null, string | null, string | null, number | null]>(
    `INSERT INTO oidc_payloads (kind, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
       user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
  );
  const live = '(expires_at IS NULL OR expires_at > ?)';
  const find = db.prepare<[string, string, number], Row>(`SELECT payload, consumed_at FROM oidc_payloads WHERE kind = ? AND id = ? AND ${live}`);
  const findByUid = db.prepare<[string, string, number], Row>(`SELECT payload, consumed_at FROM oidc_payloads WHERE uid = ? AND kind = ? AND ${live} LIMIT 1`);
  const findByUserCode = db.prepare<[string, string, number], Row>(`SELECT payload, consumed_at FROM oidc_payloads WHERE user_code = ? AND kind = ? AND ${live} LIMIT 1`);
  const consume = db.prepare<[number, string, string]>('UPDATE oidc_payloads SET consumed_at = ? WHERE kind = ? AND id = ?');
  const destroy = db.prepare<[string, string]>('DELETE FROM oidc_payloads WHERE kind = ? AND id = ?');
  const revokeByGrantId = db.prepare<[string, string]>('DELETE FROM oidc_payloads WHERE grant_id = ? AND kind = ?');

  // The methods are async because the interface is; better-sqlite3 runs each statement before they return.
  class SqliteAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      upsert.run(this.kind, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt(expiresIn));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return payloadOf(find.get(this.kind, id, Date.now()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return payloadOf(findByUid.get(uid, this.kind, Date.now()));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return payloadOf(findByUserCode.get(userCode, this.kind, Date.now()));
    }

    async consume(id: string): Promise<void> {
      consume.run(Date.now(), this.kind, id);
    }

    async destroy(id: string): Promise<void> {
      destroy.run(this.kind, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      revokeByGrantId.run(grantId, this.kind);
    }
  }

  return {
    factory: (model) => new SqliteAdapter(model),
    close: async () => {
      db.close();
    },
  };
}
