-- 0014: identities from where they already live (issue 23): upstream OpenID Connect / OAuth 2 providers and LDAP
-- directories, the upstream identities linked to Gatehouse accounts, and the short-lived state of a federated
-- sign-in in progress.

-- One upstream per row. `settings` is a JSON object of the kind's non-secret settings (src/federation/
-- provider-settings.ts reads and checks it: an issuer or the OAuth 2 URLs and the claim mapping; an LDAP URL,
-- service account DN, search base and filter, CA certificate, attribute mapping). `secret` is the client secret
-- (oidc, oauth2) or the service account's password (ldap), sealed by the secret box (src/auth/secret-box.ts) with
-- associated data `identity-provider:<slug>`, never in plain text.
CREATE TABLE identity_providers (
  slug             TEXT PRIMARY KEY CHECK (length(slug) BETWEEN 1 AND 40),
  kind             TEXT NOT NULL CHECK (kind IN ('oidc', 'oauth2', 'ldap')),
  name             TEXT NOT NULL,
  -- The login page's button text; NULL: "Continue with <name>".
  button_label     TEXT,
  icon_url         TEXT,
  enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  settings         TEXT NOT NULL,
  secret           TEXT,
  -- Creates a Gatehouse account at a first sign-in (just in time) when the email's domain is allowed.
  jit              INTEGER NOT NULL DEFAULT 0 CHECK (jit IN (0, 1)),
  -- JSON array of lower-case domains; [] allows every domain.
  allowed_domains  TEXT NOT NULL DEFAULT '[]',
  -- Authoritative for its allowed domains: a verified upstream email links an existing account of that address.
  trust_email      INTEGER NOT NULL DEFAULT 0 CHECK (trust_email IN (0, 1)),
  -- The upstream's own second factor (amr mfa/hwk) counts as the sign-in's second factor.
  trust_mfa        INTEGER NOT NULL DEFAULT 0 CHECK (trust_mfa IN (0, 1)),
  -- What the upstream's groups do to the person's Gatehouse groups at each sign-in.
  groups_mode      TEXT NOT NULL DEFAULT 'ignore' CHECK (groups_mode IN ('ignore', 'merge', 'replace')),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

-- An upstream identity linked to a Gatehouse account: at most one per provider and account, and one account per
-- upstream identity. `subject` is the upstream's stable id: the ID token's `sub`, the OAuth 2 user's id, or the
-- directory entry's entryUUID/objectGUID (its DN when it has neither).
CREATE TABLE federated_identities (
  provider_slug  TEXT NOT NULL REFERENCES identity_providers (slug) ON DELETE CASCADE,
  subject        TEXT NOT NULL,
  user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The upstream's email as last seen, for the account and admin pages.
  email          TEXT,
  created_at     INTEGER NOT NULL,
  last_used_at   INTEGER,
  PRIMARY KEY (provider_slug, subject)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX federated_identities_by_user ON federated_identities (user_id, provider_slug);

-- A federated sign-in in progress, bound to the browser that started it, used once:
-- - 'login': keyed by the SHA-256 of the `state` sent upstream; `value` seals the nonce, the PKCE verifier and where
--   the sign-in goes on (src/federation/federation-state.ts);
-- - 'link': an upstream identity waiting for the person to prove they own the existing account `user_id`
--   (src/federation/linking.ts); `value` seals the upstream identity.
CREATE TABLE federation_states (
  id_hash        TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('login', 'link')),
  provider_slug  TEXT NOT NULL REFERENCES identity_providers (slug) ON DELETE CASCADE,
  browser_hash   TEXT NOT NULL,
  user_id        TEXT REFERENCES users (id) ON DELETE CASCADE,
  value          TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  used_at        INTEGER,
  CHECK ((kind = 'link') = (user_id IS NOT NULL))
) STRICT;
CREATE INDEX federation_states_by_browser ON federation_states (browser_hash, user_id);
CREATE INDEX federation_states_by_expiry ON federation_states (expires_at);
CREATE INDEX federation_states_by_provider ON federation_states (provider_slug);
CREATE INDEX federation_states_by_user ON federation_states (user_id);

-- 0 for an account made at a federated sign-in: its password hash is of a random secret nobody knows, so it never
-- matches; the account and admin pages then offer to set one instead of changing it. Set to 1 by every password change.
ALTER TABLE users ADD COLUMN has_password INTEGER NOT NULL DEFAULT 1 CHECK (has_password IN (0, 1));

-- The provider a session's sign-in went through (the ID token's `idp` claim), carried to its codes, refresh tokens
-- and device approvals like `amr`. NULL for a sign-in at Gatehouse itself.
ALTER TABLE sessions ADD COLUMN idp TEXT;
ALTER TABLE authorization_codes ADD COLUMN idp TEXT;
ALTER TABLE refresh_tokens ADD COLUMN idp TEXT;
ALTER TABLE device_codes ADD COLUMN idp TEXT;
