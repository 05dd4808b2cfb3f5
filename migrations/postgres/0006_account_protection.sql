-- 0006: account protection (the PostgreSQL form of migrations/sqlite/0006_account_protection.sql).
-- Brute-force throttling and mailed single-use links (issue 8).
--
-- Throttle counters live in the store, not in a process's memory, so that a restart or another node does not
-- hand an attacker a fresh budget. One row per key (an account, an address, a client); the arithmetic is the
-- application's (src/store/throttle-counter.ts), read with the row locked (FOR UPDATE) and written back in the
-- same transaction. The key and the token hash are COLLATE "C" like the other sorted keys: `idp export` reads
-- rows in their order, and it must be SQLite's bytewise order whatever the database's locale.
CREATE TABLE throttle_counters (
  key                TEXT COLLATE "C" PRIMARY KEY,
  attempts           INTEGER NOT NULL CHECK (attempts >= 0),
  window_started_at  BIGINT NOT NULL,
  -- No attempt is counted or allowed before this time; NULL when the key is not blocked.
  blocked_until      BIGINT,
  last_attempt_at    BIGINT NOT NULL,
  -- After this the counter means nothing: it reads as absent, and housekeeping deletes it.
  expires_at         BIGINT NOT NULL
);
CREATE INDEX throttle_counters_by_expiry ON throttle_counters (expires_at);

-- Password reset and email verification links. Like codes, only the token's SHA-256 hash is kept, and using
-- one is a single conditional UPDATE (one winner).
CREATE TABLE account_tokens (
  token_hash  TEXT COLLATE "C" PRIMARY KEY,
  purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The address the link was sent to; for a verification, the address it verifies (possibly a new one).
  email       TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  used_at     BIGINT
);
-- A newer link replaces the user's unused ones of the same purpose (accountTokens.revokeForUser); deleting the
-- user cascades through it too.
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_by_expiry ON account_tokens (expires_at);
