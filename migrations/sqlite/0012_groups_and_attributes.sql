-- 0012: groups, per-application access rules and groups claims, user attributes, and third-party-initiated login
-- (issue 21). Group names are unique case-insensitively (name_key is the lower-cased name); a group is named by
-- its random id everywhere else, so a rename touches one row.
CREATE TABLE groups (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  name_key     TEXT NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  -- Every member passes a second factor on every sign-in (src/auth/mfa-policy.ts).
  require_mfa  INTEGER NOT NULL DEFAULT 0 CHECK (require_mfa IN (0, 1)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE group_members (
  group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
-- A person's groups (the token path's one query) and a user's deletion cascading.
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

-- The groups an application names: 'access' (only their members sign in, when access_policy is 'groups') and
-- 'claim' (released when groups_claim is 'listed', with the access groups).
CREATE TABLE client_groups (
  client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('access', 'claim')),
  PRIMARY KEY (client_id, role, group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_groups_by_group ON client_groups (group_id);

-- 'groups' admits only members of the client's access groups: none left (every one deleted) admits nobody.
ALTER TABLE clients ADD COLUMN access_policy TEXT NOT NULL DEFAULT 'everyone' CHECK (access_policy IN ('everyone', 'groups'));
-- 'all', 'listed' or 'prefix:<P>'.
ALTER TABLE clients ADD COLUMN groups_claim TEXT NOT NULL DEFAULT 'all';
ALTER TABLE clients ADD COLUMN initiate_login_uri TEXT;
ALTER TABLE clients ADD COLUMN logo_uri TEXT;
ALTER TABLE clients ADD COLUMN access_contact TEXT;

CREATE TABLE attribute_definitions (
  name         TEXT PRIMARY KEY,
  type         TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'list')),
  claim        TEXT NOT NULL UNIQUE,
  scope        TEXT NOT NULL,
  user_visible INTEGER NOT NULL DEFAULT 0 CHECK (user_visible IN (0, 1)),
  created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE user_attributes (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        TEXT NOT NULL REFERENCES attribute_definitions (name) ON DELETE CASCADE,
  -- JSON of the definition's type.
  value       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_attributes_by_name ON user_attributes (name);
