-- 0015: third-party applications, consent and dynamic client registration (issue 24).

-- A client is the organisation's own (first-party: no consent is asked, as before) or a third party's (consent is
-- asked for what it requests). `origin` says how it came: created by an administrator ('admin': the CLI, the admin
-- screens, an import) or registered by anyone through POST /register ('dynamic', RFC 7591). The pages a
-- third-party application names (RFC 7591 §2: client_uri, policy_uri, tos_uri) are shown on the consent screen,
-- never fetched by the server. A dynamically registered client's registration access token (RFC 7592 §3) is kept
-- only as a SHA-256 hash and replaced at every update.
ALTER TABLE clients ADD COLUMN third_party INTEGER NOT NULL DEFAULT 0 CHECK (third_party IN (0, 1));
ALTER TABLE clients ADD COLUMN origin TEXT NOT NULL DEFAULT 'admin' CHECK (origin IN ('admin', 'dynamic'));
ALTER TABLE clients ADD COLUMN client_uri TEXT;
ALTER TABLE clients ADD COLUMN policy_uri TEXT;
ALTER TABLE clients ADD COLUMN tos_uri TEXT;
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;
CREATE INDEX clients_by_origin ON clients (origin, client_id);

-- What a person allowed an application (OIDC Core §3.1.2.4): the scopes, a JSON array of names, the union of every
-- consent given so far. One row per person and application; removing access deletes it (and revokes the tokens).
CREATE TABLE consents (
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id     TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  scopes        TEXT NOT NULL,
  granted_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  -- The last time a code was issued under this consent; NULL until then.
  last_used_at  INTEGER,
  PRIMARY KEY (user_id, client_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX consents_by_client ON consents (client_id);

-- Initial access tokens (RFC 7591 §3: "initial access token"): an administrator hands one to a developer, who
-- presents it as a bearer token to POST /register. Stored as a SHA-256 hash; `uses_left` NULL is unlimited, and a
-- use is one conditional UPDATE (one winner for the last use).
CREATE TABLE registration_tokens (
  id          TEXT PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  uses_left   INTEGER CHECK (uses_left IS NULL OR uses_left >= 0),
  -- How many clients it registered so far.
  used        INTEGER NOT NULL DEFAULT 0,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER
) STRICT;
CREATE INDEX registration_tokens_by_expiry ON registration_tokens (expires_at);
