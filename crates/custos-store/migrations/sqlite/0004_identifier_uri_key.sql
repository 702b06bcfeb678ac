-- Identifier URIs are unique per tenant by their comparison key (custos_core::scope::
-- identifier_uri_key: trailing slashes removed, ASCII letters in lower case), so that
-- `api://x` and `api://X/` cannot be claimed by two applications, even concurrently.
-- SQLite cannot add a constraint to a table, so the table is rebuilt; the key of existing rows
-- is computed here (lower() folds ASCII only, as the Rust function does). The exact-string
-- constraint of 0001 is dropped: equal URIs have equal keys.
-- Fails, changing nothing, if two existing URIs of a tenant share a key.
CREATE TABLE identifier_uris_keyed (
    tenant_id      TEXT    NOT NULL,
    uri            TEXT    NOT NULL,
    uri_key        TEXT    NOT NULL,
    application_id TEXT    NOT NULL,
    position       INTEGER NOT NULL,
    CONSTRAINT identifier_uris_tenant_uri_key_unique UNIQUE (tenant_id, uri_key),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

INSERT INTO identifier_uris_keyed (tenant_id, uri, uri_key, application_id, position)
SELECT tenant_id, uri, lower(rtrim(uri, '/')), application_id, position FROM identifier_uris;

DROP TABLE identifier_uris;
ALTER TABLE identifier_uris_keyed RENAME TO identifier_uris;
CREATE INDEX identifier_uris_application ON identifier_uris (application_id);
