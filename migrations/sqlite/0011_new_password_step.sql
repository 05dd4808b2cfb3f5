-- 0011: a sign-in step may ask a person for a new password (issue 20: a password found in BREACHED_PASSWORDS_FILE).
-- Its page carries the sign-in's progress in a challenge like the second step's, with its own purpose
-- (src/interaction/sign-in-progress.ts). SQLite cannot alter a CHECK constraint, so the table is rebuilt: the same
-- columns in the same order, its indexes again. Nothing references it.
CREATE TABLE sign_in_challenges_0011 (
  id_hash       TEXT PRIMARY KEY,
  purpose       TEXT NOT NULL CHECK (purpose IN ('second_factor', 'new_password', 'passkey_sign_in', 'passkey_registration')),
  browser_hash  TEXT NOT NULL,
  -- NULL for a passkey sign-in: who signs in is known only from the passkey that answers.
  user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
  value         TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
) STRICT;
INSERT INTO sign_in_challenges_0011 (id_hash, purpose, browser_hash, user_id, value, created_at, expires_at, used_at)
  SELECT id_hash, purpose, browser_hash, user_id, value, created_at, expires_at, used_at FROM sign_in_challenges;
DROP TABLE sign_in_challenges;
ALTER TABLE sign_in_challenges_0011 RENAME TO sign_in_challenges;
CREATE INDEX sign_in_challenges_by_expiry ON sign_in_challenges (expires_at);
-- Deleting a user cascades through the challenges that name them.
CREATE INDEX sign_in_challenges_by_user ON sign_in_challenges (user_id);
