-- Identifier URIs are unique per tenant by their comparison key (custos_core::scope::
-- identifier_uri_key: trailing slashes removed, ASCII letters in lower case), so that
-- `api://x` and `api://X/` cannot be claimed by two applications, even concurrently.
-- The key of existing rows is computed here; translate() folds exactly A-Z, as the Rust
-- function does (lower() would follow the database locale). The exact-string constraint of
-- 0001 is dropped: equal URIs have equal keys.
-- Fails, changing nothing, if two existing URIs of a tenant share a key.
ALTER TABLE identifier_uris ADD COLUMN uri_key text;

UPDATE identifier_uris
SET uri_key = translate(rtrim(uri, '/'), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

ALTER TABLE identifier_uris ALTER COLUMN uri_key SET NOT NULL;
ALTER TABLE identifier_uris DROP CONSTRAINT identifier_uris_tenant_uri_key;
ALTER TABLE identifier_uris
    ADD CONSTRAINT identifier_uris_tenant_uri_key_unique UNIQUE (tenant_id, uri_key);
