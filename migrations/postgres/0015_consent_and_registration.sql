-- 0015: third-party applications, consent and dynamic client registration (issue 24). The PostgreSQL form of
-- migrations/sqlite/0015_consent_and_registration.sql, where each choice is explained.
ALTER TABLE clients ADD COLUMN third_party BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN origin TEXT NOT NULL DEFAULT 'admin' CHECK (origin IN ('admin', 'dynamic'));
ALTER TABLE clients ADD COLUMN client_uri TEXT;
ALTER TABLE clients ADD COLUMN policy_uri TEXT;
ALTER TABLE clients ADD COLUMN tos_uri TEXT;
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;
CREATE INDEX clients_by_origin ON clients (origin, client_id);

CREATE TABLE consents (
  user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id     TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  scopes        TEXT NOT NULL,
  granted_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  last_used_at  BIGINT,
  PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_by_client ON consents (client_id);

CREATE TABLE registration_tokens (
  id          TEXT COLLATE "C" PRIMARY KEY,
  token_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
  uses_left   INTEGER CHECK (uses_left IS NULL OR uses_left >= 0),
  used        INTEGER NOT NULL DEFAULT 0,
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT
);
CREATE INDEX registration_tokens_by_expiry ON registration_tokens (expires_at);
