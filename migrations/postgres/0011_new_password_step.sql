-- 0011: a sign-in step may ask a person for a new password (issue 20: a password found in BREACHED_PASSWORDS_FILE).
-- Its page carries the sign-in's progress in a challenge like the second step's, with its own purpose
-- (src/interaction/sign-in-progress.ts). The PostgreSQL form of migrations/sqlite/0011_new_password_step.sql.
ALTER TABLE sign_in_challenges DROP CONSTRAINT sign_in_challenges_purpose_check;
ALTER TABLE sign_in_challenges ADD CONSTRAINT sign_in_challenges_purpose_check
  CHECK (purpose IN ('second_factor', 'new_password', 'passkey_sign_in', 'passkey_registration'));
