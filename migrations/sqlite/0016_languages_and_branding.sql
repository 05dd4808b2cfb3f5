-- 0016: languages and the organisation's brand (issue 25).

-- The language a person picked (the switcher, their account page), used for their pages and their mails, and the
-- time zone their dates are shown in. NULL: not chosen (the request's and the browser's preferences decide; UTC).
-- Only languages Gatehouse ships and zones Intl knows are written (src/i18n).
ALTER TABLE users ADD COLUMN locale TEXT;
ALTER TABLE users ADD COLUMN time_zone TEXT;

-- What the admin "Branding" screen saved: one row at most. Each NULL column means "as configured" (BRAND_* in the
-- environment, else Gatehouse's own). Images are kept here, not on disk, so every node serves the same ones and
-- an export carries them; they are served from our origin only. `version` grows by one at every save: it
-- versions the assets' URLs and makes a save a compare-and-set, so two administrators cannot overwrite each other
-- unknowingly.
CREATE TABLE branding (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  name          TEXT,
  color         TEXT CHECK (color IS NULL OR (length(color) = 7 AND color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
  logo          BLOB,
  logo_type     TEXT,
  favicon       BLOB,
  favicon_type  TEXT,
  css           TEXT,
  version       INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  updated_by    TEXT,
  CHECK ((logo IS NULL) = (logo_type IS NULL)),
  CHECK ((favicon IS NULL) = (favicon_type IS NULL))
) STRICT;
