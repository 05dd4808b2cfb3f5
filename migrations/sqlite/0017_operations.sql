-- 0017: running Gatehouse in production (issue 26): the management API's versions and tokens, the durable delivery
-- queue for webhooks and back-channel logout, and what relying applications do with the signing keys.

-- A version per user, client, group and API, grown by one at every update: the management API's ETag, and the
-- condition of its conditional updates (If-Match), so two scripts cannot overwrite each other's changes.
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE apis ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- The management API itself is an API (resource) like the others, made at start for the issuer: its identifier
-- and scopes are Gatehouse's, so it cannot be renamed, re-scoped or deleted.
ALTER TABLE apis ADD COLUMN built_in INTEGER NOT NULL DEFAULT 0 CHECK (built_in IN (0, 1));

-- An administrator's personal tokens for the management API (`idp admin token create`): shown once, stored as a
-- SHA-256 hash, expiring. `user_id` NULL: the operator who ran the tool (actor `cli`); else an administrator, and
-- the token dies with their admin rights.
CREATE TABLE admin_tokens (
  id            TEXT PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,
  user_id       TEXT REFERENCES users(id) ON DELETE CASCADE,
  scopes        TEXT NOT NULL,
  description   TEXT,
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  revoked_at    INTEGER,
  last_used_at  INTEGER
) STRICT;
CREATE INDEX admin_tokens_user ON admin_tokens (user_id);

-- Webhook endpoints for audit events. The secret signs each body (HMAC-SHA-256, Standard Webhooks): it must be
-- read back, so it is sealed (src/auth/secret-box.ts), never stored in clear.
CREATE TABLE webhooks (
  id             TEXT PRIMARY KEY,
  url            TEXT NOT NULL,
  description    TEXT,
  secret_sealed  TEXT NOT NULL,
  enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
-- Which events an endpoint receives: an event type (`user.created`), a family (`user.*`) or everything (`*`).
CREATE TABLE webhook_event_types (
  webhook_id  TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  pattern     TEXT NOT NULL,
  PRIMARY KEY (webhook_id, pattern)
) STRICT;

-- The durable delivery queue, shared by every node: one row per webhook endpoint and audit event (written in the
-- audit event's own transaction), or per client and ended session (back-channel logout). A node leases a due row
-- with one conditional update before it sends, so in a cluster each delivery is attempted by one node at a time.
CREATE TABLE deliveries (
  id               TEXT PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('webhook', 'backchannel_logout')),
  webhook_id       TEXT REFERENCES webhooks(id) ON DELETE CASCADE,
  client_id        TEXT REFERENCES clients(client_id) ON DELETE CASCADE,
  event_id         INTEGER REFERENCES audit_events(id),
  event_type       TEXT NOT NULL,
  payload          TEXT,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_until      INTEGER,
  last_status      INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  CHECK ((kind = 'webhook') = (webhook_id IS NOT NULL AND event_id IS NOT NULL)),
  CHECK ((kind = 'backchannel_logout') = (client_id IS NOT NULL AND payload IS NOT NULL)),
  UNIQUE (webhook_id, event_id)
) STRICT;
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX deliveries_client ON deliveries (client_id, created_at);
CREATE INDEX deliveries_event ON deliveries (event_id);

-- Where each client was seen authenticating from (address and User-Agent), and when a JWKS fetch last came from
-- there: the best-effort evidence that an application has the key published for the next rotation.
CREATE TABLE client_sightings (
  client_id         TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
  address           TEXT NOT NULL,
  user_agent        TEXT NOT NULL,
  seen_at           INTEGER NOT NULL,
  jwks_fetched_at   INTEGER,
  PRIMARY KEY (client_id, address, user_agent)
) STRICT;
CREATE INDEX client_sightings_origin ON client_sightings (address, user_agent);
