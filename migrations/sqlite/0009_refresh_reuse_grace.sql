-- 0009: a client may be given its own refresh reuse grace (issue 20): within that many seconds after a refresh
-- token was rotated, the same client presenting it again receives the same successor instead of losing the
-- family (src/oidc/grants/refresh-retry.ts). NULL: the server's REFRESH_REUSE_GRACE applies.
ALTER TABLE clients ADD COLUMN refresh_reuse_grace INTEGER CHECK (refresh_reuse_grace BETWEEN 0 AND 300);
