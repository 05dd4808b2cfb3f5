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

/**
 * 0005: the trigram index of the users page's search (src/store/sqlite/user-search.ts), over the lower-cased email
 * and name: an FTS5 table of external content, the users themselves, keyed by their rowid, and the triggers that keep
 * it in step with every insert, deletion and change of either column (as https://sqlite.org/fts5.html, "External
 * Content Tables", shows). case_sensitive 1: both columns and every search are lower-cased by the application, and
 * the tokenizer's own folding differs from JavaScript's; compared as stored, a phrase of the whole search (three
 * characters or more) matches exactly where instr() finds it.
 *
 * Created here, after normalizeNames, not in the migration's SQL file: the triggers would index every name written
 * by normalizeNames a second time (15 s instead of 6 s for the whole migration of 100,000 users). 'rebuild' indexes
 * every user at once. The users' rowids are implicit (their key is the text id): VACUUM keeps them, copying rows as
 * they are, but a later migration that rebuilds the users table (new rowids, its triggers dropped with it) must
 * create these again and rebuild. The search checks every match the index gives against the row itself, so an
 * index out of step could only miss users, never show wrong ones.
 */
const USER_SEARCH_INDEX = `
CREATE VIRTUAL TABLE users_fts USING fts5(
  email_normalized, name_normalized,
  content = 'users', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
  INSERT INTO users_fts (rowid, email_normalized, name_normalized) VALUES (NEW.rowid, NEW.email_normalized, NEW.name_normalized);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
  INSERT INTO users_fts (users_fts, rowid, email_normalized, name_normalized) VALUES ('delete', OLD.rowid, OLD.email_normalized, OLD.name_normalized);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF email_normalized, name_normalized ON users BEGIN
  INSERT INTO users_fts (users_fts, rowid, email_normalized, name_normalized) VALUES ('delete', OLD.rowid, OLD.email_normalized, OLD.name_normalized);
  INSERT INTO users_fts (rowid, email_normalized, name_normalized) VALUES (NEW.rowid, NEW.email_normalized, NEW.name_normalized);
END;
INSERT INTO users_fts (users_fts) VALUES ('rebuild');
`;

export const SQLITE_MIGRATION_STEPS: ReadonlyMap<number, (db: SqliteDatabase) => void> = new Map([
  [
    5,
    (db) => {
      linkAuditChain(db);
      normalizeNames(db);
      db.exec(USER_SEARCH_INDEX);
    },
  ],
]);
