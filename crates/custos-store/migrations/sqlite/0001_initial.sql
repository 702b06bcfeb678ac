-- custos directory schema (SQLite).
-- GUIDs are stored as lower-case hyphenated TEXT, times as INTEGER microseconds since the Unix
-- epoch (UTC), JSON documents as TEXT. Every object id is globally unique; every other uniqueness
-- rule is scoped by tenant. "Oldest first" listings order by (created, rowid).

CREATE TABLE tenants (
    id           TEXT    NOT NULL PRIMARY KEY,
    domain       TEXT    NOT NULL,
    -- domain lower-cased by the application, so both backends compare identically
    domain_key   TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    created      INTEGER NOT NULL,
    CONSTRAINT tenants_domain_key UNIQUE (domain_key)
);

CREATE TABLE applications (
    id                             TEXT    NOT NULL PRIMARY KEY,
    tenant_id                      TEXT    NOT NULL REFERENCES tenants (id),
    app_id                         TEXT    NOT NULL,
    display_name                   TEXT    NOT NULL,
    description                    TEXT,
    requested_access_token_version INTEGER,
    sign_in_audience               TEXT    NOT NULL,
    app_roles                      TEXT    NOT NULL,
    password_credentials           TEXT    NOT NULL,
    created                        INTEGER NOT NULL,
    CONSTRAINT applications_tenant_app_id_key UNIQUE (tenant_id, app_id),
    CONSTRAINT applications_tenant_id_key UNIQUE (tenant_id, id)
);

CREATE TABLE identifier_uris (
    tenant_id      TEXT    NOT NULL,
    uri            TEXT    NOT NULL,
    application_id TEXT    NOT NULL,
    position       INTEGER NOT NULL,
    CONSTRAINT identifier_uris_tenant_uri_key UNIQUE (tenant_id, uri),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX identifier_uris_application ON identifier_uris (application_id);

CREATE TABLE service_principals (
    id                           TEXT    NOT NULL PRIMARY KEY,
    tenant_id                    TEXT    NOT NULL REFERENCES tenants (id),
    app_id                       TEXT    NOT NULL,
    display_name                 TEXT    NOT NULL,
    account_enabled              INTEGER NOT NULL,
    app_role_assignment_required INTEGER NOT NULL,
    service_principal_type       TEXT    NOT NULL,
    created                      INTEGER NOT NULL,
    CONSTRAINT service_principals_tenant_app_id_key UNIQUE (tenant_id, app_id),
    CONSTRAINT service_principals_tenant_id_key UNIQUE (tenant_id, id)
);

CREATE TABLE app_role_assignments (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    principal_id TEXT    NOT NULL,
    resource_id  TEXT    NOT NULL,
    app_role_id  TEXT    NOT NULL,
    created      INTEGER NOT NULL,
    CONSTRAINT app_role_assignments_unique_grant UNIQUE (tenant_id, principal_id, resource_id, app_role_id),
    FOREIGN KEY (tenant_id, principal_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_role_assignments_resource ON app_role_assignments (tenant_id, resource_id);

CREATE TABLE signing_keys (
    kid                TEXT    NOT NULL PRIMARY KEY,
    state              TEXT    NOT NULL,
    created            INTEGER NOT NULL,
    activates          INTEGER NOT NULL,
    retires            INTEGER,
    sealed_private_key BLOB    NOT NULL,
    certificate_der    BLOB    NOT NULL
);
