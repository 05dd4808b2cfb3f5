-- 0012: groups, per-application access rules and groups claims, user attributes, and third-party-initiated login
-- (issue 21). The PostgreSQL form of migrations/sqlite/0012_groups_and_attributes.sql.
CREATE TABLE groups (
  id           TEXT COLLATE "C" PRIMARY KEY,
  name         TEXT COLLATE "C" NOT NULL,
  name_key     TEXT COLLATE "C" NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  require_mfa  BOOLEAN NOT NULL DEFAULT FALSE,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);

CREATE TABLE group_members (
  group_id  TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added_at  BIGINT NOT NULL,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

CREATE TABLE client_groups (
  client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  group_id   TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('access', 'claim')),
  PRIMARY KEY (client_id, role, group_id)
);
CREATE INDEX client_groups_by_group ON client_groups (group_id);

ALTER TABLE clients ADD COLUMN access_policy TEXT NOT NULL DEFAULT 'everyone' CHECK (access_policy IN ('everyone', 'groups'));
ALTER TABLE clients ADD COLUMN groups_claim TEXT NOT NULL DEFAULT 'all';
ALTER TABLE clients ADD COLUMN initiate_login_uri TEXT;
ALTER TABLE clients ADD COLUMN logo_uri TEXT;
ALTER TABLE clients ADD COLUMN access_contact TEXT;

CREATE TABLE attribute_definitions (
  name         TEXT COLLATE "C" PRIMARY KEY,
  type         TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'list')),
  claim        TEXT COLLATE "C" NOT NULL UNIQUE,
  scope        TEXT COLLATE "C" NOT NULL,
  user_visible BOOLEAN NOT NULL DEFAULT FALSE,
  created_at   BIGINT NOT NULL
);

CREATE TABLE user_attributes (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        TEXT COLLATE "C" NOT NULL REFERENCES attribute_definitions (name) ON DELETE CASCADE,
  value       TEXT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (user_id, name)
);
CREATE INDEX user_attributes_by_name ON user_attributes (name);
