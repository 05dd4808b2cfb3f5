-- 0004: signing keys in the store (PostgreSQL mode keeps them here, shared by every node). Like the key files,
-- a row holds facts, not a state: when the key is published (created_at), signs (activated_at, possibly in
-- the future), was retired or revoked; the state at a time is computed from them. Nothing used the table
-- before this migration, so it is rebuilt.
DROP TABLE signing_keys;
CREATE TABLE signing_keys (
  kid                     TEXT PRIMARY KEY,
  alg                     TEXT NOT NULL CHECK (alg = 'RS256'),
  public_jwk              TEXT NOT NULL,
  -- AES-256-GCM under KEY_ENCRYPTION_KEY, with the kid as associated data: never the key in clear.
  private_key_ciphertext  TEXT NOT NULL,
  created_at              INTEGER NOT NULL,
  activated_at            INTEGER NOT NULL,
  retired_at              INTEGER,
  revoked_at              INTEGER
) STRICT;
