// Work a migration needs beyond its SQL file, run right after that file inside the same transaction (so a
// failure leaves neither behind), keyed by the migration's version. Only what plain SQL cannot do belongs here.
import { eventHash, GENESIS_HASH } from '../../audit/chain.js';
import { COLUMNS, storedFields, type AuditRow } from '../rows/audit.js';
import { normalizeName } from '../rows/users.js';
import type { SqliteDatabase } from './database.js';

/** Rows read per batch: better-sqlite3 cannot write on a connection while one of its statements is iterating. */
const BATCH = 1000;

/**
 * 0005: events written before the hash chain existed have empty hashes (the ALTER TABLE defaults). Link them,
 * oldest first, from GENESIS_HASH, exactly as `append` would have, and point the head at the last one; a
 * database without events keeps no head, as a new one has none.
 */
function linkAuditChain(db: SqliteDatabase): void {
  const read = db.prepare<[number, number], AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id > ? ORDER BY id LIMIT ?`);
  const link = db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?');
  let prevHash = GENESIS_HASH;
  let lastId = 0;
  for (let rows = read.all(lastId, BATCH); rows.length > 0; rows = read.all(lastId, BATCH)) {
    for (const row of rows) {
      const hash = eventHash(prevHash, storedFields(row));
      link.run(prevHash, hash, row.id);
      prevHash = hash;
      lastId = row.id;
    }
  }
  if (lastId > 0) db.prepare('INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (1, ?, ?)').run(lastId, prevHash);
}

/** 0005: the users written before name_normalized existed get it, folded as the application folds it. */
function normalizeNames(db: SqliteDatabase): void {
  const read = db.prepare<[string, number], { id: string; name: string }>('SELECT id, name FROM users WHERE name IS NOT NULL AND id > ? ORDER BY id LIMIT ?');
  const write = db.prepare('UPDATE users SET name_normalized = ? WHERE id = ?');
  let lastId = '';
  for (let rows = read.all(lastId, BATCH); rows.length > 0; rows = read.all(lastId, BATCH)) {
    for (const row of rows) write.run(normalizeName(row.name), row.id);
    lastId = rows[rows.length - 1]?.id ?? lastId;
  }
}

export const SQLITE_MIGRATION_STEPS: ReadonlyMap<number, (db: SqliteDatabase) => void> = new Map([
  [5, (db) => {
    linkAuditChain(db);
    normalizeNames(db);
  }],
]);
