-- 0016: languages and the organisation's brand (issue 25). The PostgreSQL form of
-- migrations/sqlite/0016_languages_and_branding.sql, where each choice is explained.
ALTER TABLE users ADD COLUMN locale TEXT;
ALTER TABLE users ADD COLUMN time_zone TEXT;

CREATE TABLE branding (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  name          TEXT,
  color         TEXT CHECK (color IS NULL OR color ~ '^#[0-9a-f]{6}$'),
  logo          BYTEA,
  logo_type     TEXT,
  favicon       BYTEA,
  favicon_type  TEXT,
  css           TEXT,
  version       BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  updated_by    TEXT,
  CHECK ((logo IS NULL) = (logo_type IS NULL)),
  CHECK ((favicon IS NULL) = (favicon_type IS NULL))
);
