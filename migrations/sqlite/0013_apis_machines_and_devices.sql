-- 0013: APIs as resources (RFC 8707), machine clients (client_credentials, RFC 6749 §4.4), private_key_jwt client
-- authentication (RFC 7523, OIDC Core §9) and the device authorization grant (RFC 8628) (issue 22).

-- An API (resource server): its identifier is the `aud` of the access tokens minted for it. Its scopes are read
-- whole with it, as a JSON array of {"name", "description"} in the order the administrator gave them.
CREATE TABLE apis (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  identifier      TEXT NOT NULL UNIQUE,
  scopes          TEXT NOT NULL,
  -- Seconds; NULL: the server's ACCESS_TOKEN_TTL.
  token_lifetime  INTEGER CHECK (token_lifetime IS NULL OR token_lifetime BETWEEN 60 AND 86400),
  token_format    TEXT NOT NULL DEFAULT 'jwt' CHECK (token_format IN ('jwt', 'opaque')),
  -- Whose tokens the API takes: people's (authorization code, device), machines' (client credentials), or both.
  accepts         TEXT NOT NULL DEFAULT 'both' CHECK (accepts IN ('people', 'machines', 'both')),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX apis_by_name ON apis (name, id);

-- What a client may do with an API: 'request' tokens for it (scopes: a JSON array of the API's scope names the
-- client may ask for; NULL: every scope the API defines, now and later), or 'introspect' its tokens (RFC 7662 §4:
-- the API's own credentials, so that a resource server can ask about tokens minted for it).
CREATE TABLE client_apis (
  client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('request', 'introspect')),
  scopes     TEXT,
  PRIMARY KEY (client_id, api_id, role)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_apis_by_api ON client_apis (api_id, client_id);

-- Clients: private_key_jwt joins the authentication methods, and such a client holds no secret but a public JWKS,
-- inline (jwks) or by reference (jwks_uri), never both (OIDC Dynamic Client Registration §2). CHECK constraints
-- cannot be altered in SQLite: the table is rebuilt (https://sqlite.org/lang_altertable.html §7; migrateSqlite runs
-- every migration with foreign_keys off and checks every foreign key before it commits).
CREATE TABLE clients_0013 (
  client_id                  TEXT PRIMARY KEY,
  name                       TEXT NOT NULL,
  client_type                TEXT NOT NULL CHECK (client_type IN ('public', 'confidential')),
  secret_hash                TEXT,
  token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')),
  -- JSON arrays of strings: read whole, never queried by content.
  redirect_uris              TEXT NOT NULL,
  post_logout_redirect_uris  TEXT NOT NULL,
  backchannel_logout_uri     TEXT,
  grant_types                TEXT NOT NULL,
  scopes                     TEXT NOT NULL,
  pkce_required              INTEGER NOT NULL DEFAULT 1 CHECK (pkce_required IN (0, 1)),
  created_at                 INTEGER NOT NULL,
  updated_at                 INTEGER NOT NULL,
  require_mfa                INTEGER NOT NULL DEFAULT 0 CHECK (require_mfa IN (0, 1)),
  refresh_reuse_grace        INTEGER CHECK (refresh_reuse_grace BETWEEN 0 AND 300),
  access_policy              TEXT NOT NULL DEFAULT 'everyone' CHECK (access_policy IN ('everyone', 'groups')),
  groups_claim               TEXT NOT NULL DEFAULT 'all',
  initiate_login_uri         TEXT,
  logo_uri                   TEXT,
  access_contact             TEXT,
  jwks                       TEXT,
  jwks_uri                   TEXT,
  CHECK (client_type = 'confidential' OR token_endpoint_auth_method = 'none'),
  CHECK ((secret_hash IS NULL) = (client_type = 'public' OR token_endpoint_auth_method = 'private_key_jwt')),
  CHECK (token_endpoint_auth_method <> 'private_key_jwt' OR jwks IS NOT NULL OR jwks_uri IS NOT NULL),
  CHECK (jwks IS NULL OR jwks_uri IS NULL)
) STRICT;
INSERT INTO clients_0013 (
  client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris,
  backchannel_logout_uri, grant_types, scopes, pkce_required, created_at, updated_at, require_mfa, refresh_reuse_grace,
  access_policy, groups_claim, initiate_login_uri, logo_uri, access_contact)
SELECT
  client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris,
  backchannel_logout_uri, grant_types, scopes, pkce_required, created_at, updated_at, require_mfa, refresh_reuse_grace,
  access_policy, groups_claim, initiate_login_uri, logo_uri, access_contact
FROM clients;
DROP TABLE clients;
ALTER TABLE clients_0013 RENAME TO clients;
CREATE INDEX clients_by_name ON clients (name, client_id);

-- Access tokens: a machine's has no person (user_id NULL, sub = client_id, RFC 9068 §2.2). Each records its audience,
-- scope and format, so that an opaque token (an API's choice) can be introspected from its record alone; an opaque
-- token's record is keyed by the SHA-256 of the token (jti = that hash). Rebuilt for the NOT NULL it drops.
CREATE TABLE access_tokens_0013 (
  jti              TEXT PRIMARY KEY,
  grant_id         TEXT NOT NULL,
  client_id        TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash  TEXT,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  revoked_at       INTEGER,
  kid              TEXT,
  format           TEXT NOT NULL DEFAULT 'jwt' CHECK (format IN ('jwt', 'opaque')),
  -- NULL for tokens recorded before 0013 (all of them for the userinfo endpoint).
  audience         TEXT,
  scope            TEXT,
  auth_time        INTEGER
) STRICT;
INSERT INTO access_tokens_0013 (jti, grant_id, client_id, user_id, session_id_hash, created_at, expires_at, revoked_at, kid)
SELECT jti, grant_id, client_id, user_id, session_id_hash, created_at, expires_at, revoked_at, kid FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_0013 RENAME TO access_tokens;
CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
CREATE INDEX access_tokens_by_session ON access_tokens (session_id_hash);
CREATE INDEX access_tokens_by_kid ON access_tokens (kid);
CREATE INDEX access_tokens_by_client ON access_tokens (client_id);

-- The APIs an authorization named (RFC 8707 `resource`), as a JSON array of identifiers, carried from the code to
-- every refresh token of the grant: a token request may narrow to one of them, never reach beyond.
ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE refresh_tokens ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';

-- RFC 8628: a device authorization. The device code (256 bits) and the user code are kept only as SHA-256 hashes;
-- the user code's hash is of its normalised form (8 letters, upper case, no dash). The person's decision and
-- sign-in facts are written once, by the approval that finds it pending; the token request that spends it is one
-- conditional write with one winner.
CREATE TABLE device_codes (
  device_code_hash  TEXT PRIMARY KEY,
  user_code_hash    TEXT NOT NULL UNIQUE,
  client_id         TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  scope             TEXT NOT NULL,
  resources         TEXT NOT NULL DEFAULT '[]',
  created_at        INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,
  -- Seconds between polls (RFC 8628 §3.2); each slow_down adds 5 (§3.5).
  poll_interval     INTEGER NOT NULL,
  last_polled_at    INTEGER,
  status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  user_id           TEXT REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash   TEXT,
  sid               TEXT,
  amr               TEXT,
  auth_time         INTEGER,
  decided_at        INTEGER,
  consumed_at       INTEGER,
  CHECK ((status = 'approved') = (user_id IS NOT NULL))
) STRICT;
CREATE INDEX device_codes_by_client ON device_codes (client_id);
CREATE INDEX device_codes_by_user ON device_codes (user_id);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);

-- RFC 7523 §3 / OIDC Core §9: a client assertion's jti is single use, remembered until the assertion expires.
CREATE TABLE client_assertion_jtis (
  client_id   TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  jti         TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (client_id, jti)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_assertion_jtis_by_expiry ON client_assertion_jtis (expires_at);
