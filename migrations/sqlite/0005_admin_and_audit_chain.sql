-- 0005: the admin screens and the tamper-evident audit log.
--
-- Audit events gain the application involved, their outcome, and the hash chain (src/audit/chain.ts): each
-- event stores the previous event's hash and its own. Events written before this migration are linked into
-- the chain, in id order, by the migration step that runs with this file (src/store/sqlite/migration-steps.ts).
ALTER TABLE audit_events ADD COLUMN client_id TEXT;
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure'));
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_events_by_type ON audit_events (type, at);
CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
CREATE INDEX audit_events_by_subject ON audit_events (subject, id);
CREATE INDEX audit_events_by_client ON audit_events (client_id, id);

-- The newest event the chain reached, kept apart from the events: deleting the newest events shows as a
-- head pointing past the end. One row, written in the same transaction as every append.
CREATE TABLE audit_chain_head (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  last_id    INTEGER NOT NULL,
  last_hash  TEXT NOT NULL
) STRICT;

-- A deleted user's id is never given to anyone else: it was the `sub` of every token they received, and
-- relying applications key their accounts on it (OIDC Core §5.7). The database itself keeps the promise.
CREATE TABLE retired_subjects (
  id          TEXT PRIMARY KEY,
  retired_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER users_retire_subject AFTER DELETE ON users
BEGIN
  INSERT OR IGNORE INTO retired_subjects (id, retired_at) VALUES (OLD.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;

CREATE TRIGGER users_refuse_retired_subject BEFORE INSERT ON users
WHEN EXISTS (SELECT 1 FROM retired_subjects WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'retired subject: this user id belonged to a deleted user');
END;

CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- The users page's search compares the email and the name lower-cased: the name, like the email, is stored
-- beside itself in that form, lower-cased by the application (src/store/rows/users.ts, normalizeName) so that
-- every engine folds letters alike; the migration step fills it for existing users. A search reads both from
-- users_search, in email order, and the table only for the users who match; or, when few users match, asks the
-- trigram index users_fts (FTS5) for them, which the migration step creates and fills once the names are
-- (src/store/sqlite/migration-steps.ts; how a search chooses: src/store/rows/users.ts).
ALTER TABLE users ADD COLUMN name_normalized TEXT;
CREATE INDEX users_search ON users (email_normalized, name_normalized);
-- The last-admin rule (src/store/sqlite/users.ts) looks for another enabled admin on every demotion and deletion.
CREATE INDEX users_enabled_admins ON users (id) WHERE is_admin = 1 AND disabled = 0;
-- Disabling an account marks its unused codes used (codes.revokeForUser); deleting one cascades to them.
CREATE INDEX authorization_codes_by_user ON authorization_codes (user_id);
