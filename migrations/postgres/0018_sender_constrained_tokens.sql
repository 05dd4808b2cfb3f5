-- 0018: sender-constrained tokens and protected requests (issue 28). The PostgreSQL form of
-- migrations/sqlite/0018_sender_constrained_tokens.sql, where each choice is explained.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE access_tokens ADD COLUMN jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;

CREATE TABLE pushed_requests (
  uri_hash     TEXT COLLATE "C" PRIMARY KEY,
  client_id    TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  params       TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  consumed_at  BIGINT
);
CREATE INDEX pushed_requests_by_client ON pushed_requests (client_id);
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (expires_at);

CREATE TABLE used_jtis (
  kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('request_object', 'dpop_proof')),
  scope       TEXT COLLATE "C" NOT NULL,
  jti         TEXT COLLATE "C" NOT NULL,
  expires_at  BIGINT NOT NULL,
  PRIMARY KEY (kind, scope, jti)
);
CREATE INDEX used_jtis_by_expiry ON used_jtis (expires_at);
