-- 0001: users, clients, signing keys, sessions, authorization codes, refresh tokens, audit events.
-- Times are BIGINT milliseconds since the epoch. Secrets appear only as SHA-256 hashes (base64url).
-- The PostgreSQL form of migrations/sqlite/0001_init.sql: the same tables, columns, keys and indexes.
-- Columns that are sorted or compared by range are COLLATE "C": bytewise, as SQLite compares text, so pages
-- and lists come out in the same order on both engines whatever the database's locale.

CREATE TABLE users (
  id               TEXT PRIMARY KEY,
  email            TEXT NOT NULL,
  -- Lower-cased email: uniqueness is case-insensitive, the address is shown as entered.
  email_normalized TEXT COLLATE "C" NOT NULL UNIQUE,
  name             TEXT,
  password_hash    TEXT NOT NULL,
  is_admin         BOOLEAN NOT NULL DEFAULT FALSE,
  disabled         BOOLEAN NOT NULL DEFAULT FALSE,
  email_verified   BOOLEAN NOT NULL DEFAULT FALSE,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);

CREATE TABLE clients (
  client_id                  TEXT COLLATE "C" PRIMARY KEY,
  name                       TEXT COLLATE "C" NOT NULL,
  client_type                TEXT NOT NULL CHECK (client_type IN ('public', 'confidential')),
  secret_hash                TEXT,
  token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  -- JSON arrays of strings: read whole, never queried by content. TEXT keeps them byte for byte as written.
  redirect_uris              TEXT NOT NULL,
  post_logout_redirect_uris  TEXT NOT NULL,
  backchannel_logout_uri     TEXT,
  grant_types                TEXT NOT NULL,
  scopes                     TEXT NOT NULL,
  pkce_required              BOOLEAN NOT NULL DEFAULT TRUE,
  created_at                 BIGINT NOT NULL,
  updated_at                 BIGINT NOT NULL,
  CHECK ((client_type = 'public') = (secret_hash IS NULL))
);
CREATE INDEX clients_by_name ON clients (name, client_id);

CREATE TABLE signing_keys (
  kid                     TEXT COLLATE "C" PRIMARY KEY,
  alg                     TEXT NOT NULL CHECK (alg = 'RS256'),
  state                   TEXT NOT NULL CHECK (state IN ('active', 'published', 'retired')),
  public_jwk              TEXT NOT NULL,
  private_key_ciphertext  TEXT NOT NULL,
  created_at              BIGINT NOT NULL,
  activated_at            BIGINT,
  retired_at              BIGINT
);

CREATE TABLE sessions (
  id_hash       TEXT COLLATE "C" PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  auth_time     BIGINT NOT NULL,
  created_at    BIGINT NOT NULL,
  last_seen_at  BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE authorization_codes (
  code_hash              TEXT PRIMARY KEY,
  grant_id               TEXT NOT NULL,
  client_id              TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  user_id                TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash        TEXT,
  redirect_uri           TEXT NOT NULL,
  scope                  TEXT NOT NULL,
  nonce                  TEXT,
  code_challenge         TEXT,
  code_challenge_method  TEXT CHECK (code_challenge_method IS NULL OR code_challenge_method = 'S256'),
  auth_time              BIGINT NOT NULL,
  created_at             BIGINT NOT NULL,
  expires_at             BIGINT NOT NULL,
  consumed_at            BIGINT
);
CREATE INDEX authorization_codes_by_grant ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
  token_hash       TEXT PRIMARY KEY,
  grant_id         TEXT COLLATE "C" NOT NULL,
  client_id        TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash  TEXT,
  scope            TEXT NOT NULL,
  auth_time        BIGINT NOT NULL,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  rotated_at       BIGINT,
  revoked_at       BIGINT
);
CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE audit_events (
  -- Increasing and never reused, like SQLite's AUTOINCREMENT: `before` pages by it.
  id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       BIGINT NOT NULL,
  type     TEXT NOT NULL,
  actor    TEXT NOT NULL,
  subject  TEXT,
  ip       TEXT,
  -- JSON object as written: TEXT keeps its key order, which JSONB would not.
  details  TEXT NOT NULL
);
