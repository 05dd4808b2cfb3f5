-- 0009: a client may be given its own refresh reuse grace (issue 20). The PostgreSQL form of
-- migrations/sqlite/0009_refresh_reuse_grace.sql. NULL: the server's REFRESH_REUSE_GRACE applies.
ALTER TABLE clients ADD COLUMN refresh_reuse_grace INTEGER CHECK (refresh_reuse_grace BETWEEN 0 AND 300);
