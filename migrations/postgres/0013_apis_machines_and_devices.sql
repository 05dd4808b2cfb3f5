-- 0013: APIs as resources (RFC 8707), machine clients (client_credentials), private_key_jwt client authentication
-- and the device authorization grant (RFC 8628) (issue 22). The PostgreSQL form of
-- migrations/sqlite/0013_apis_machines_and_devices.sql, where each choice is explained.
CREATE TABLE apis (
  id              TEXT COLLATE "C" PRIMARY KEY,
  name            TEXT COLLATE "C" NOT NULL,
  identifier      TEXT COLLATE "C" NOT NULL UNIQUE,
  scopes          TEXT NOT NULL,
  token_lifetime  INTEGER CHECK (token_lifetime IS NULL OR token_lifetime BETWEEN 60 AND 86400),
  token_format    TEXT NOT NULL DEFAULT 'jwt' CHECK (token_format IN ('jwt', 'opaque')),
  accepts         TEXT NOT NULL DEFAULT 'both' CHECK (accepts IN ('people', 'machines', 'both')),
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE INDEX apis_by_name ON apis (name, id);

CREATE TABLE client_apis (
  client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  api_id     TEXT COLLATE "C" NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('request', 'introspect')),
  scopes     TEXT,
  PRIMARY KEY (client_id, api_id, role)
);
CREATE INDEX client_apis_by_api ON client_apis (api_id, client_id);

ALTER TABLE clients DROP CONSTRAINT clients_token_endpoint_auth_method_check;
ALTER TABLE clients DROP CONSTRAINT clients_check;
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
ALTER TABLE clients ADD CONSTRAINT clients_token_endpoint_auth_method_check
  CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'));
ALTER TABLE clients ADD CONSTRAINT clients_public_authenticates_with_none CHECK (client_type = 'confidential' OR token_endpoint_auth_method = 'none');
ALTER TABLE clients ADD CONSTRAINT clients_secret_when_authenticating_with_one
  CHECK ((secret_hash IS NULL) = (client_type = 'public' OR token_endpoint_auth_method = 'private_key_jwt'));
ALTER TABLE clients ADD CONSTRAINT clients_private_key_jwt_has_keys CHECK (token_endpoint_auth_method <> 'private_key_jwt' OR jwks IS NOT NULL OR jwks_uri IS NOT NULL);
ALTER TABLE clients ADD CONSTRAINT clients_one_key_source CHECK (jwks IS NULL OR jwks_uri IS NULL);

ALTER TABLE access_tokens ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE access_tokens ADD COLUMN format TEXT NOT NULL DEFAULT 'jwt' CHECK (format IN ('jwt', 'opaque'));
ALTER TABLE access_tokens ADD COLUMN audience TEXT;
ALTER TABLE access_tokens ADD COLUMN scope TEXT;
ALTER TABLE access_tokens ADD COLUMN auth_time BIGINT;

ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE refresh_tokens ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';

CREATE TABLE device_codes (
  device_code_hash  TEXT COLLATE "C" PRIMARY KEY,
  user_code_hash    TEXT COLLATE "C" NOT NULL UNIQUE,
  client_id         TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  scope             TEXT NOT NULL,
  resources         TEXT NOT NULL DEFAULT '[]',
  created_at        BIGINT NOT NULL,
  expires_at        BIGINT NOT NULL,
  poll_interval     INTEGER NOT NULL,
  last_polled_at    BIGINT,
  status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  user_id           TEXT REFERENCES users (id) ON DELETE CASCADE,
  session_id_hash   TEXT,
  sid               TEXT,
  amr               TEXT,
  auth_time         BIGINT,
  decided_at        BIGINT,
  consumed_at       BIGINT,
  CHECK ((status = 'approved') = (user_id IS NOT NULL))
);
CREATE INDEX device_codes_by_client ON device_codes (client_id);
CREATE INDEX device_codes_by_user ON device_codes (user_id);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);

CREATE TABLE client_assertion_jtis (
  client_id   TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  jti         TEXT COLLATE "C" NOT NULL,
  expires_at  BIGINT NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertion_jtis_by_expiry ON client_assertion_jtis (expires_at);
