-- 0006: account protection. Brute-force throttling and mailed single-use links (issue 8).
--
-- Throttle counters live in the store, not in a process's memory, so that a restart or another node does not
-- hand an attacker a fresh budget. One row per key (an account, an address, a client); the arithmetic is the
-- application's (src/store/throttle-counter.ts), read and written back in one IMMEDIATE transaction.
CREATE TABLE throttle_counters (
  key                TEXT PRIMARY KEY,
  attempts           INTEGER NOT NULL CHECK (attempts >= 0),
  window_started_at  INTEGER NOT NULL,
  -- No attempt is counted or allowed before this time; NULL when the key is not blocked.
  blocked_until      INTEGER,
  last_attempt_at    INTEGER NOT NULL,
  -- After this the counter means nothing: it reads as absent, and housekeeping deletes it.
  expires_at         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX throttle_counters_by_expiry ON throttle_counters (expires_at);

-- Password reset and email verification links. Like codes, only the token's SHA-256 hash is kept, and using
-- one is a single conditional UPDATE (one winner). A used token is kept, marked, until housekeeping deletes it
-- after it expires.
CREATE TABLE account_tokens (
  token_hash  TEXT PRIMARY KEY,
  purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The address the link was sent to; for a verification, the address it verifies (possibly a new one).
  email       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
) STRICT;
-- A newer link replaces the user's unused ones of the same purpose (accountTokens.revokeForUser); deleting the
-- user cascades through it too.
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_by_expiry ON account_tokens (expires_at);
