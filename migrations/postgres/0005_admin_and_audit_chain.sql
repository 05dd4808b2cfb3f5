-- 0005: the admin screens and the tamper-evident audit log (the PostgreSQL form of
-- migrations/sqlite/0005_admin_and_audit_chain.sql).
--
-- Audit events gain the application involved, their outcome, and the hash chain (src/audit/chain.ts): each
-- event stores the previous event's hash and its own. Events written before this migration are linked into
-- the chain, in id order, by the migration step that runs with this file (src/store/postgres/migration-steps.ts).
ALTER TABLE audit_events ADD COLUMN client_id TEXT;
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure'));
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_events_by_type ON audit_events (type COLLATE "C", at);
CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
CREATE INDEX audit_events_by_subject ON audit_events (subject, id);
CREATE INDEX audit_events_by_client ON audit_events (client_id, id);

-- The newest event the chain reached, kept apart from the events: deleting the newest events shows as a
-- head pointing past the end. One row, locked (FOR UPDATE) and written in the same transaction as every
-- append, so concurrent appends on any number of nodes form one chain.
CREATE TABLE audit_chain_head (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  last_id    BIGINT NOT NULL,
  last_hash  TEXT NOT NULL
);

-- A deleted user's id is never given to anyone else: it was the `sub` of every token they received, and
-- relying applications key their accounts on it (OIDC Core §5.7). The database itself keeps the promise.
CREATE TABLE retired_subjects (
  id          TEXT PRIMARY KEY,
  retired_at  BIGINT NOT NULL
);

CREATE FUNCTION gatehouse_retire_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO retired_subjects (id, retired_at) VALUES (OLD.id, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)
  ON CONFLICT (id) DO NOTHING;
  RETURN OLD;
END $$;
CREATE TRIGGER users_retire_subject AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION gatehouse_retire_subject();

CREATE FUNCTION gatehouse_refuse_retired_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM retired_subjects WHERE id = NEW.id) THEN
    RAISE EXCEPTION 'retired subject: this user id belonged to a deleted user' USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER users_refuse_retired_subject BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION gatehouse_refuse_retired_subject();

CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- The users page's search compares the email and the name lower-cased: the name, like the email, is stored
-- beside itself in that form, lower-cased by the application (src/store/rows/users.ts, normalizeName) so that
-- every engine folds letters alike; the migration step fills it for existing users. A search reads both from
-- users_search, in email order, and the table only for the users who match; or, when few users match, finds them
-- in the trigram indexes (pg_trgm) that the migration step creates once the names are filled
-- (src/store/postgres/migration-steps.ts; how a search chooses: src/store/rows/users.ts).
ALTER TABLE users ADD COLUMN name_normalized TEXT;
CREATE INDEX users_search ON users (email_normalized) INCLUDE (name_normalized);
-- The last-admin rule (src/store/postgres/users.ts) locks the enabled admins on every demotion and deletion.
CREATE INDEX users_enabled_admins ON users (id) WHERE is_admin AND NOT disabled;
-- Disabling an account marks its unused codes used (codes.revokeForUser); deleting one cascades to them.
CREATE INDEX authorization_codes_by_user ON authorization_codes (user_id);
