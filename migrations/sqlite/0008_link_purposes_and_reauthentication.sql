-- 0008: mailed links say what they are for, codes die with their session, and a password re-entered on the
-- admin screens is kept apart from the time of the sign-in (issue 19: F1, F5, F6).

-- F1. A mailed link records what it is for, and does only that: 'email_verification' verifies the account's
-- address while the account still has it, 'email_change' (new) moves the account to the address the link went
-- to, 'password_reset' sets a password while its address is the account's (src/auth/account-links.ts). SQLite
-- cannot alter a CHECK constraint, so the table is rebuilt: the same columns in the same order, its indexes
-- again. Nothing references it.
CREATE TABLE account_tokens_0008 (
  token_hash  TEXT PRIMARY KEY,
  purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verification', 'email_change')),
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The address the link was sent to: for a verification or a reset, the account's address then; for a change,
  -- the new one.
  email       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
) STRICT;
INSERT INTO account_tokens_0008 (token_hash, purpose, user_id, email, created_at, expires_at, used_at)
  SELECT token_hash, purpose, user_id, email, created_at, expires_at, used_at FROM account_tokens;
DROP TABLE account_tokens;
ALTER TABLE account_tokens_0008 RENAME TO account_tokens;
-- A newer link replaces the user's unused ones of the same purpose; a new email or password ends all of them
-- (UserRepository.update); deleting the user cascades through it too.
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_by_expiry ON account_tokens (expires_at);

-- Until now a verification link and a change link were both 'email_verification', told apart at use by comparing
-- the link's address with the account's: that is how a link mailed to verify an address the account had since left
-- moved the account back to it. An unused one whose address is not the account's now (a change waiting for its
-- confirmation, or a verification of an address the account has since left) cannot be told apart: each is marked
-- used, failing closed; the person asks for a new link from the account page. Compared as stored, not case-folded,
-- so that a link differing only in case goes too.
UPDATE account_tokens SET used_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
  WHERE purpose = 'email_verification' AND used_at IS NULL
    AND email <> (SELECT users.email FROM users WHERE users.id = account_tokens.user_id);

-- F5. Ending a session marks the codes minted in it used (authorizationCodes.revokeForSession).
CREATE INDEX authorization_codes_by_session ON authorization_codes (session_id_hash);

-- F6. When the person last re-entered the password on the admin screens (sessions.reauthenticate), apart from
-- auth_time, which stays the sign-in's: ID tokens and max_age read it with the sign-in's amr. NULL: never.
ALTER TABLE sessions ADD COLUMN reauthenticated_at INTEGER;
