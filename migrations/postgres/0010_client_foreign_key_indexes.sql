-- 0010: every foreign-key column is indexed (issue 20). The PostgreSQL form of
-- migrations/sqlite/0010_client_foreign_key_indexes.sql: deleting a client cascades to five tables by client_id,
-- and PostgreSQL, unlike for a primary key, creates no index for the referencing side of a foreign key. Built in
-- the migration's transaction (the runner needs one, src/store/postgres/database.ts): these tables hold
-- short-lived rows, so the lock is brief; an operator with very large token tables may create them CONCURRENTLY
-- beforehand under the same names, which IF NOT EXISTS then keeps.
CREATE INDEX IF NOT EXISTS authorization_codes_by_client ON authorization_codes (client_id);
CREATE INDEX IF NOT EXISTS authorization_requests_by_client ON authorization_requests (client_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_client ON refresh_tokens (client_id);
CREATE INDEX IF NOT EXISTS access_tokens_by_client ON access_tokens (client_id);
CREATE INDEX IF NOT EXISTS session_clients_by_client ON session_clients (client_id);
