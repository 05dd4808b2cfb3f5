-- 0008: mailed links say what they are for, codes die with their session, and a password re-entered on the
-- admin screens is kept apart from the time of the sign-in (issue 19: F1, F5, F6). The PostgreSQL form of
-- migrations/sqlite/0008_link_purposes_and_reauthentication.sql.

-- F1. A mailed link records what it is for, and does only that: 'email_verification' verifies the account's
-- address while the account still has it, 'email_change' (new) moves the account to the address the link went
-- to, 'password_reset' sets a password while its address is the account's (src/auth/account-links.ts).
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
  CHECK (purpose IN ('password_reset', 'email_verification', 'email_change'));

-- Until now a verification link and a change link were both 'email_verification', told apart at use by comparing
-- the link's address with the account's: that is how a link mailed to verify an address the account had since left
-- moved the account back to it. An unused one whose address is not the account's now (a change waiting for its
-- confirmation, or a verification of an address the account has since left) cannot be told apart: each is marked
-- used, failing closed; the person asks for a new link from the account page. Compared as stored, not case-folded,
-- so that a link differing only in case goes too.
UPDATE account_tokens AS t SET used_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
  FROM users AS u
  WHERE u.id = t.user_id AND t.purpose = 'email_verification' AND t.used_at IS NULL AND t.email <> u.email;

-- F5. Ending a session marks the codes minted in it used (authorizationCodes.revokeForSession).
CREATE INDEX authorization_codes_by_session ON authorization_codes (session_id_hash);

-- F6. When the person last re-entered the password on the admin screens (sessions.reauthenticate), apart from
-- auth_time, which stays the sign-in's: ID tokens and max_age read it with the sign-in's amr. NULL: never.
ALTER TABLE sessions ADD COLUMN reauthenticated_at BIGINT;
