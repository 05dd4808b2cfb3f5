-- 0007: second factors and passkeys (issue 10).
--
-- A TOTP authenticator, at most one per person. The shared secret is sealed by the application
-- (src/auth/secret-box.ts): a copy of the database alone does not hand out codes. A pending enrolment
-- (confirmed_at NULL) signs nobody in; it is replaced by the next one until its first code confirms it.
-- last_used_step is the last RFC 6238 time step accepted, so a code seen by a shoulder-surfer or a phishing
-- proxy is refused the second time (§5.2): accepting one is a single conditional UPDATE (one winner).
CREATE TABLE totp_credentials (
  user_id         TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  sealed_secret   TEXT NOT NULL,
  confirmed_at    INTEGER,
  last_used_step  INTEGER NOT NULL DEFAULT -1,
  created_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Recovery codes, for the day the authenticator is lost. Like every secret only the SHA-256 hash is kept; a used
-- code stays, marked, so the account page can say how many are left, until a new set replaces the whole set.
CREATE TABLE recovery_codes (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  used_at     INTEGER,
  PRIMARY KEY (user_id, code_hash)
) STRICT, WITHOUT ROWID;

-- WebAuthn credentials (passkeys). The credential id is the authenticator's, unique across everyone: a second
-- registration of it is refused, never moved to another account. The public key is not a secret. Transports
-- are a JSON array of strings, read whole and never queried by content.
CREATE TABLE passkeys (
  credential_id  TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  public_key     TEXT NOT NULL,
  -- The authenticator's signature counter (WebAuthn §6.1.1); 0 for authenticators that keep none.
  counter        INTEGER NOT NULL CHECK (counter >= 0),
  transports     TEXT NOT NULL,
  device_type    TEXT NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up      INTEGER NOT NULL CHECK (backed_up IN (0, 1)),
  created_at     INTEGER NOT NULL,
  last_used_at   INTEGER
) STRICT;
-- The account page lists a person's passkeys oldest first; deleting the user cascades through it too.
CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at);

-- A sign-in in progress, kept server-side and bound to the browser that started it: the person who passed the
-- password and owes a second factor, or a WebAuthn challenge waiting for its answer. Like pending authorization
-- requests, only the hash of its id is kept, and using one is a single conditional UPDATE (one winner), so a
-- challenge answered twice signs in once. Housekeeping deletes them once expired.
CREATE TABLE sign_in_challenges (
  id_hash       TEXT PRIMARY KEY,
  purpose       TEXT NOT NULL CHECK (purpose IN ('second_factor', 'passkey_sign_in', 'passkey_registration')),
  browser_hash  TEXT NOT NULL,
  -- NULL for a passkey sign-in: who signs in is known only from the passkey that answers.
  user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
  value         TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
) STRICT;
CREATE INDEX sign_in_challenges_by_expiry ON sign_in_challenges (expires_at);
-- Deleting a user cascades through the challenges that name them.
CREATE INDEX sign_in_challenges_by_user ON sign_in_challenges (user_id);

-- An application may demand a second factor of everyone who signs in to it, whatever their own settings.
ALTER TABLE clients ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0 CHECK (require_mfa IN (0, 1));
