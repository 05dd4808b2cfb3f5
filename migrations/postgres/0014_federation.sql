-- 0014: upstream identity providers, LDAP directories and linked identities (issue 23). The PostgreSQL form of
-- migrations/sqlite/0014_federation.sql, where each choice is explained.
CREATE TABLE identity_providers (
  slug             TEXT COLLATE "C" PRIMARY KEY CHECK (length(slug) BETWEEN 1 AND 40),
  kind             TEXT NOT NULL CHECK (kind IN ('oidc', 'oauth2', 'ldap')),
  name             TEXT NOT NULL,
  button_label     TEXT,
  icon_url         TEXT,
  enabled          BOOLEAN NOT NULL DEFAULT TRUE,
  settings         TEXT NOT NULL,
  secret           TEXT,
  jit              BOOLEAN NOT NULL DEFAULT FALSE,
  allowed_domains  TEXT NOT NULL DEFAULT '[]',
  trust_email      BOOLEAN NOT NULL DEFAULT FALSE,
  trust_mfa        BOOLEAN NOT NULL DEFAULT FALSE,
  groups_mode      TEXT NOT NULL DEFAULT 'ignore' CHECK (groups_mode IN ('ignore', 'merge', 'replace')),
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);

CREATE TABLE federated_identities (
  provider_slug  TEXT COLLATE "C" NOT NULL REFERENCES identity_providers (slug) ON DELETE CASCADE,
  subject        TEXT COLLATE "C" NOT NULL,
  user_id        TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email          TEXT,
  created_at     BIGINT NOT NULL,
  last_used_at   BIGINT,
  PRIMARY KEY (provider_slug, subject)
);
CREATE UNIQUE INDEX federated_identities_by_user ON federated_identities (user_id, provider_slug);

CREATE TABLE federation_states (
  id_hash        TEXT COLLATE "C" PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('login', 'link')),
  provider_slug  TEXT COLLATE "C" NOT NULL REFERENCES identity_providers (slug) ON DELETE CASCADE,
  browser_hash   TEXT COLLATE "C" NOT NULL,
  user_id        TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
  value          TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  used_at        BIGINT,
  CHECK ((kind = 'link') = (user_id IS NOT NULL))
);
CREATE INDEX federation_states_by_browser ON federation_states (browser_hash, user_id);
CREATE INDEX federation_states_by_expiry ON federation_states (expires_at);
CREATE INDEX federation_states_by_provider ON federation_states (provider_slug);
CREATE INDEX federation_states_by_user ON federation_states (user_id);

ALTER TABLE users ADD COLUMN has_password BOOLEAN NOT NULL DEFAULT TRUE;

ALTER TABLE sessions ADD COLUMN idp TEXT;
ALTER TABLE authorization_codes ADD COLUMN idp TEXT;
ALTER TABLE refresh_tokens ADD COLUMN idp TEXT;
ALTER TABLE device_codes ADD COLUMN idp TEXT;
