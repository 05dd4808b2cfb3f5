-- 0018: sender-constrained tokens and protected requests (issue 28): DPoP (RFC 9449), pushed authorization requests
-- (RFC 9126) and signed request objects (RFC 9101).

-- RFC 9126 §6 (require_pushed_authorization_requests) and RFC 9449 §5.2 (dpop_bound_access_tokens): per-client
-- requirements, off for every client that existed before.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0 CHECK (require_pushed_authorization_requests IN (0, 1));
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens INTEGER NOT NULL DEFAULT 0 CHECK (dpop_bound_access_tokens IN (0, 1));

-- The RFC 7638 thumbprint of the DPoP key a token or code is bound to (RFC 9449 §6, §5, §10); NULL: unbound, as
-- every token and code issued before.
ALTER TABLE access_tokens ADD COLUMN jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;

-- RFC 9126 §2.2: a pushed request, found by the hash of its request_uri, single use (consumed_at set by one
-- conditional update), for 60 seconds. `params` is the checked request as JSON, read whole, never queried by content.
CREATE TABLE pushed_requests (
  uri_hash     TEXT PRIMARY KEY,
  client_id    TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  params       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  consumed_at  INTEGER
) STRICT;
CREATE INDEX pushed_requests_by_client ON pushed_requests (client_id);
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (expires_at);

-- Single-use JWT ids, remembered while their JWT could still be accepted: request objects (RFC 9101 §10.8, scope the
-- client id) and DPoP proofs (RFC 9449 §11.1, scope the key's thumbprint). The primary key makes a use one insert
-- with one winner. No foreign key: a proof's scope is a key, not a client.
CREATE TABLE used_jtis (
  kind        TEXT NOT NULL CHECK (kind IN ('request_object', 'dpop_proof')),
  scope       TEXT NOT NULL,
  jti         TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (kind, scope, jti)
) STRICT, WITHOUT ROWID;
CREATE INDEX used_jtis_by_expiry ON used_jtis (expires_at);
