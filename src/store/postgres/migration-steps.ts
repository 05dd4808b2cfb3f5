// Work a migration needs beyond its SQL file, run right after that file inside the same transaction (so a
// failure leaves neither behind), keyed by the migration's version. Only what plain SQL cannot do belongs here.
import type pg from 'pg';
import { eventHash, GENESIS_HASH } from '../../audit/chain.js';
import { COLUMNS, storedFields, type AuditRow } from '../rows/audit.js';
import { normalizeName } from '../rows/users.js';

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
    const { rows } = await client.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2`, [lastId, BATCH]);
    if (rows.length === 0) break;
    const ids: number[] = [];
    const prevHashes: string[] = [];
    const hashes: string[] = [];
    for (const row of rows) {
      // The store's pool reads BIGINT as a number (database.ts); hashing a string `at` would give another hash.
      const hash = eventHash(prevHash, storedFields({ ...row, at: Number(row.at) }));
      ids.push(Number(row.id));
      prevHashes.push(prevHash);
      hashes.push(hash);
      prevHash = hash;
      lastId = Number(row.id);
    }
    await client.query(
      'UPDATE audit_events AS e SET prev_hash = v.prev_hash, hash = v.hash '
      + 'FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v (id, prev_hash, hash) WHERE e.id = v.id',
      [ids, prevHashes, hashes],
    );
  }
  if (lastId > 0) await client.query('INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (1, $1, $2)', [lastId, prevHash]);
}

/** 0005: the users written before name_normalized existed get it, folded as the application folds it. */
async function normalizeNames(client: pg.PoolClient): Promise<void> {
  let lastId = '';
  for (;;) {
    const { rows } = await client.query<{ id: string; name: string }>(
      'SELECT id, name FROM users WHERE name IS NOT NULL AND id > $1 ORDER BY id LIMIT $2', [lastId, BATCH]);
    if (rows.length === 0) break;
    await client.query(
      'UPDATE users AS u SET name_normalized = v.name_normalized FROM unnest($1::text[], $2::text[]) AS v (id, name_normalized) WHERE u.id = v.id',
      [rows.map((row) => row.id), rows.map((row) => normalizeName(row.name))],
    );
    lastId = rows[rows.length - 1]?.id ?? lastId;
  }
}

export const POSTGRES_MIGRATION_STEPS: ReadonlyMap<number, (client: pg.PoolClient) => Promise<void>> = new Map([
  [5, async (client) => {
    await linkAuditChain(client);
    await normalizeNames(client);
  }],
]);
