-- 0004: signing keys in the store, shared by every node. Like the key files, a row holds facts, not a state:
-- when the key is published (created_at), signs (activated_at, possibly in the future), was retired or
-- revoked; the state at a time is computed from them. Nothing used the table before, so it is rebuilt.
DROP TABLE signing_keys;
CREATE TABLE signing_keys (
  kid                     TEXT COLLATE "C" PRIMARY KEY,
  alg                     TEXT NOT NULL CHECK (alg = 'RS256'),
  public_jwk              TEXT NOT NULL,
  -- AES-256-GCM under KEY_ENCRYPTION_KEY, with the kid as associated data: never the key in clear.
  private_key_ciphertext  TEXT NOT NULL,
  created_at              BIGINT NOT NULL,
  activated_at            BIGINT NOT NULL,
  retired_at              BIGINT,
  revoked_at              BIGINT
);
