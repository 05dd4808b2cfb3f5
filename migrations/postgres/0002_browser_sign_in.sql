-- 0002: browser sign-in. Sessions gain a public id (the ID token's `sid`) and their authentication methods;
-- pending authorization requests wait server-side for the login form; access tokens are recorded by jti so
-- that a replayed code, a logout or a revocation can stop them before they expire.

-- No session can exist before this migration (nothing created one). SQLite rebuilds the table because it cannot
-- add a UNIQUE column; PostgreSQL adds the columns in place, and would fail loudly rather than drop a row.
ALTER TABLE sessions
  -- Public, random: goes into ID tokens as `sid`; never lets anyone use the session.
  ADD COLUMN sid TEXT NOT NULL UNIQUE,
  -- JSON array of RFC 8176 method names, e.g. ["pwd"].
  ADD COLUMN amr TEXT NOT NULL;

CREATE TABLE authorization_requests (
  id_hash       TEXT PRIMARY KEY,
  -- Hash of the cookie that binds the request to the browser that started it.
  browser_hash  TEXT NOT NULL,
  client_id     TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  -- The validated authorization request, read whole, never queried by content.
  params        TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  consumed_at   BIGINT
);
CREATE INDEX authorization_requests_by_expiry ON authorization_requests (expires_at);

CREATE TABLE access_tokens (
  jti              TEXT PRIMARY KEY,
  grant_id         TEXT COLLATE "C" NOT NULL,
  client_id        TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash  TEXT,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  revoked_at       BIGINT
);
CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);

-- Codes and refresh tokens carry the session's public id and authentication methods into the ID tokens
-- issued from them, which must stay the same for the life of the grant (OIDC Core §12.2).
ALTER TABLE authorization_codes ADD COLUMN sid TEXT;
ALTER TABLE authorization_codes ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';
ALTER TABLE refresh_tokens ADD COLUMN sid TEXT;
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';
