-- The list order of applications and service principals (oldest first: created, then seq) as an
-- index, so that a page of a tenant's objects (Store::applications_page, service_principals_page)
-- is one index range read from a cursor, whatever the tenant's size.
CREATE INDEX applications_list_order ON applications (tenant_id, created, seq);
CREATE INDEX service_principals_list_order ON service_principals (tenant_id, created, seq);
