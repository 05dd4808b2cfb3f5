-- 0001: users, clients, signing keys, sessions, authorization codes, refresh tokens, audit events.
-- Times are INTEGER milliseconds since the epoch. Secrets appear only as SHA-256 hashes (base64url).

CREATE TABLE users (
  id               TEXT PRIMARY KEY,
  email            TEXT NOT NULL,
  -- Lower-cased email: uniqueness is case-insensitive, the address is shown as entered.
  email_normalized TEXT NOT NULL UNIQUE,
  name             TEXT,
  password_hash    TEXT NOT NULL,
  is_admin         INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
  disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  email_verified   INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
  client_id                  TEXT PRIMARY KEY,
  name                       TEXT NOT NULL,
  client_type                TEXT NOT NULL CHECK (client_type IN ('public', 'confidential')),
  secret_hash                TEXT,
  token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  -- JSON arrays of strings: read whole, never queried by content.
  redirect_uris              TEXT NOT NULL,
  post_logout_redirect_uris  TEXT NOT NULL,
  backchannel_logout_uri     TEXT,
  grant_types                TEXT NOT NULL,
  scopes                     TEXT NOT NULL,
  pkce_required              INTEGER NOT NULL DEFAULT 1 CHECK (pkce_required IN (0, 1)),
  created_at                 INTEGER NOT NULL,
  updated_at                 INTEGER NOT NULL,
  CHECK ((client_type = 'public') = (secret_hash IS NULL))
) STRICT;
CREATE INDEX clients_by_name ON clients (name, client_id);

CREATE TABLE signing_keys (
  kid                     TEXT PRIMARY KEY,
  alg                     TEXT NOT NULL CHECK (alg = 'RS256'),
  state                   TEXT NOT NULL CHECK (state IN ('active', 'published', 'retired')),
  public_jwk              TEXT NOT NULL,
  private_key_ciphertext  TEXT NOT NULL,
  created_at              INTEGER NOT NULL,
  activated_at            INTEGER,
  retired_at              INTEGER
) STRICT;

CREATE TABLE sessions (
  id_hash       TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  auth_time     INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
) STRICT;
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
  auth_time              INTEGER NOT NULL,
  created_at             INTEGER NOT NULL,
  expires_at             INTEGER NOT NULL,
  consumed_at            INTEGER
) STRICT;
CREATE INDEX authorization_codes_by_grant ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
  token_hash       TEXT PRIMARY KEY,
  grant_id         TEXT NOT NULL,
  client_id        TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash  TEXT,
  scope            TEXT NOT NULL,
  auth_time        INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  rotated_at       INTEGER,
  revoked_at       INTEGER
) STRICT;
CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE audit_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  at       INTEGER NOT NULL,
  type     TEXT NOT NULL,
  actor    TEXT NOT NULL,
  subject  TEXT,
  ip       TEXT,
  details  TEXT NOT NULL
) STRICT;
