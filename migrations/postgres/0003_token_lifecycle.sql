-- 0003: the token lifecycle. Refresh tokens carry the absolute end of their grant (each rotation gets a new
-- idle deadline, never a later absolute one) and, like access tokens, the kid of the key that signed the
-- tokens issued with them, so that revoking a compromised key can revoke what it signed. session_clients
-- remembers which applications received tokens in a session, for back-channel logout.

-- Rows written before this migration end when their own expiry says (grant_expires_at NULL → expires_at).
ALTER TABLE refresh_tokens ADD COLUMN grant_expires_at BIGINT;
ALTER TABLE refresh_tokens ADD COLUMN kid TEXT;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id_hash);
CREATE INDEX refresh_tokens_by_kid ON refresh_tokens (kid);

ALTER TABLE access_tokens ADD COLUMN kid TEXT;
CREATE INDEX access_tokens_by_session ON access_tokens (session_id_hash);
CREATE INDEX access_tokens_by_kid ON access_tokens (kid);

-- A code presented again marks itself, so a redemption still signing its tokens learns of the replay and
-- revokes what it just issued (RFC 6749 §4.1.2), whichever request finished first.
ALTER TABLE authorization_codes ADD COLUMN replayed_at BIGINT;

CREATE TABLE session_clients (
  sid              TEXT NOT NULL REFERENCES sessions (sid) ON DELETE CASCADE,
  client_id        TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  first_issued_at  BIGINT NOT NULL,
  PRIMARY KEY (sid, client_id)
);
