-- Reading `startswith(displayName,'p')` by index (ObjectQuery::display_name_prefix): each
-- application, service principal and user keeps its display name lower-cased as `$filter`
-- compares it (Unicode lower case, computed by the store and written with every name; rows from
-- before this migration are filled in when the store opens, so NULL only until then). A prefix
-- is then one range of (tenant_id, display_name_key) in byte order: the "C" collation, whatever
-- the database's default.
ALTER TABLE applications ADD COLUMN display_name_key text COLLATE "C";
ALTER TABLE service_principals ADD COLUMN display_name_key text COLLATE "C";
ALTER TABLE users ADD COLUMN display_name_key text COLLATE "C";
CREATE INDEX applications_display_name_key ON applications (tenant_id, display_name_key);
CREATE INDEX service_principals_display_name_key ON service_principals (tenant_id, display_name_key);
CREATE INDEX users_display_name_key ON users (tenant_id, display_name_key);
-- The rows whose key is still to be filled in, as partial indexes: empty once filled, so the
-- store finds them (or that there are none) without reading the tables at every start.
CREATE INDEX applications_display_name_key_missing ON applications (id) WHERE display_name_key IS NULL;
CREATE INDEX service_principals_display_name_key_missing ON service_principals (id)
    WHERE display_name_key IS NULL;
CREATE INDEX users_display_name_key_missing ON users (id) WHERE display_name_key IS NULL;
-- The list order of users (Store::users_page), as 0016 made it for applications.
CREATE INDEX users_list_order ON users (tenant_id, created, seq);
