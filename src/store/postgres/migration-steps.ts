// Work a migration needs beyond its SQL file, run right after that file inside the same transaction (so a
// failure leaves neither behind), keyed by the migration's version. Only what plain SQL cannot do belongs here.
import type pg from 'pg';
import { eventHash, GENESIS_HASH } from '../../audit/chain.js';
import { COLUMNS, storedFields, type AuditRow } from '../rows/audit.js';
import { normalizeName } from '../rows/users.js';

/**
 * An audit row as this step reads it: its BIGINTs are numbers only through the store's own pool (database.ts),
 * and the step, handed a client, does not count on it.
 */
type ReadAuditRow = Omit<AuditRow, 'id' | 'at'> & { id: number | string; at: number | string };

/** Rows written per round trip. */
const BATCH = 1000;

/**
 * 0005: events written before the hash chain existed have empty hashes (the ALTER TABLE defaults). Link them,
 * oldest first, from GENESIS_HASH, exactly as `append` would have, and point the head at the last one; a
 * database without events keeps no head, as a new one has none.
 */
async function linkAuditChain(client: pg.PoolClient): Promise<void> {
  let prevHash = GENESIS_HASH;
  let lastId = 0;
  for (;;) {
    const { rows } = await client.query<ReadAuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2`, [lastId, BATCH]);
    if (rows.length === 0) break;
    const ids: number[] = [];
    const prevHashes: string[] = [];
    const hashes: string[] = [];
    for (const row of rows) {
      // Numbers, as `append` hashed them: hashing a string `at` would give another hash.
      const id = Number(row.id);
      const hash = eventHash(prevHash, storedFields({ ...row, id, at: Number(row.at) }));
      ids.push(id);
      prevHashes.push(prevHash);
      hashes.push(hash);
      prevHash = hash;
      lastId = id;
    }
    await client.query('UPDATE audit_events AS e SET prev_hash = v.prev_hash, hash = v.hash ' + 'FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v (id, prev_hash, hash) WHERE e.id = v.id', [
      ids,
      prevHashes,
      hashes,
    ]);
  }
  if (lastId > 0) await client.query('INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (1, $1, $2)', [lastId, prevHash]);
}

/** 0005: the users written before name_normalized existed get it, folded as the application folds it. */
async function normalizeNames(client: pg.PoolClient): Promise<void> {
  let lastId = '';
  for (;;) {
    const { rows } = await client.query<{ id: string; name: string }>('SELECT id, name FROM users WHERE name IS NOT NULL AND id > $1 ORDER BY id LIMIT $2', [lastId, BATCH]);
    if (rows.length === 0) break;
    await client.query('UPDATE users AS u SET name_normalized = v.name_normalized FROM unnest($1::text[], $2::text[]) AS v (id, name_normalized) WHERE u.id = v.id', [
      rows.map((row) => row.id),
      rows.map((row) => normalizeName(row.name)),
    ]);
    lastId = rows[rows.length - 1]?.id ?? lastId;
  }
}

/**
 * 0005: the trigram indexes (pg_trgm's GIN operator class) that find a search's few matches with LIKE '%…%'
 * (src/store/postgres/user-search.ts): one per column, so that a match is always within one column, as on SQLite.
 * Created here, after normalizeNames, not in the migration's SQL file: each name it writes would update them
 * (about 10 s instead of 8 s for the whole migration of 100,000 users).
 *
 * pg_trgm is a trusted extension: the database's owner, or any role that may create in it, may install it. It is
 * installed once per database: into `public` where this role may create objects there, else into this schema.
 * Stores in other schemas of the database (the tests give each store one, and drop it with everything in it, the
 * extension too if it were there) find it wherever it is, so the operator class is named through the extension's
 * schema; LIKE itself is pg_catalog's, so the queries need no search_path. The lock makes stores migrating side by
 * side install it once. Without the right to install it, or without the extension on the server, the search works
 * the same, reading users_search in email order (slow only when few users match): a NOTICE says so.
 */
const TRIGRAM_INDEXES = `
DO $$
DECLARE
  trgm_schema name;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('gatehouse.pg_trgm'));
  SELECT n.nspname INTO trgm_schema FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NULL THEN
    IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public' AND has_schema_privilege(oid, 'CREATE')) THEN
      CREATE EXTENSION pg_trgm WITH SCHEMA public;
    ELSE
      CREATE EXTENSION pg_trgm;
    END IF;
    SELECT n.nspname INTO trgm_schema FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  END IF;
  EXECUTE format('CREATE INDEX users_email_trigrams ON users USING gin (email_normalized %I.gin_trgm_ops)', trgm_schema);
  EXECUTE format('CREATE INDEX users_name_trigrams ON users USING gin (name_normalized %I.gin_trgm_ops)', trgm_schema);
EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
  RAISE NOTICE 'the users search has no trigram index (pg_trgm: %): it reads every user to find few', SQLERRM;
END
$$`;

export const POSTGRES_MIGRATION_STEPS: ReadonlyMap<number, (client: pg.PoolClient) => Promise<void>> = new Map([
  [
    5,
    async (client) => {
      await linkAuditChain(client);
      await normalizeNames(client);
      await client.query(TRIGRAM_INDEXES);
    },
  ],
]);
