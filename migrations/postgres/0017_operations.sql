-- 0017: running Gatehouse in production (issue 26). The PostgreSQL form of migrations/sqlite/0017_operations.sql,
-- where each choice is explained.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE apis ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE apis ADD COLUMN built_in BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE admin_tokens (
  id            TEXT COLLATE "C" PRIMARY KEY,
  token_hash    TEXT COLLATE "C" NOT NULL UNIQUE,
  user_id       TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
  scopes        TEXT NOT NULL,
  description   TEXT,
  created_by    TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  revoked_at    BIGINT,
  last_used_at  BIGINT
);
CREATE INDEX admin_tokens_user ON admin_tokens (user_id);

CREATE TABLE webhooks (
  id             TEXT COLLATE "C" PRIMARY KEY,
  url            TEXT NOT NULL,
  description    TEXT,
  secret_sealed  TEXT NOT NULL,
  enabled        BOOLEAN NOT NULL DEFAULT TRUE,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE TABLE webhook_event_types (
  webhook_id  TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  pattern     TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (webhook_id, pattern)
);

CREATE TABLE deliveries (
  id               TEXT COLLATE "C" PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('webhook', 'backchannel_logout')),
  webhook_id       TEXT COLLATE "C" REFERENCES webhooks (id) ON DELETE CASCADE,
  client_id        TEXT COLLATE "C" REFERENCES clients (client_id) ON DELETE CASCADE,
  event_id         BIGINT REFERENCES audit_events (id),
  event_type       TEXT NOT NULL,
  payload          TEXT,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  BIGINT NOT NULL,
  lease_owner      TEXT,
  lease_until      BIGINT,
  last_status      INTEGER,
  last_error       TEXT,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  CHECK ((kind = 'webhook') = (webhook_id IS NOT NULL AND event_id IS NOT NULL)),
  CHECK ((kind = 'backchannel_logout') = (client_id IS NOT NULL AND payload IS NOT NULL)),
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX deliveries_client ON deliveries (client_id, created_at);
CREATE INDEX deliveries_event ON deliveries (event_id);

CREATE TABLE client_sightings (
  client_id         TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  address           TEXT COLLATE "C" NOT NULL,
  user_agent        TEXT COLLATE "C" NOT NULL,
  seen_at           BIGINT NOT NULL,
  jwks_fetched_at   BIGINT,
  PRIMARY KEY (client_id, address, user_agent)
);
CREATE INDEX client_sightings_origin ON client_sightings (address, user_agent);
