-- The list order of applications and service principals (oldest first: created, then rowid) as an
-- index, so that a page of a tenant's objects (Store::applications_page, service_principals_page)
-- is one index range read from a cursor, whatever the tenant's size. SQLite appends the rowid to
-- every index entry, so (tenant_id, created) also orders ties by insertion.
CREATE INDEX applications_list_order ON applications (tenant_id, created);
CREATE INDEX service_principals_list_order ON service_principals (tenant_id, created);
