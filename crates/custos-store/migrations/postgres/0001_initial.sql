-- custos directory schema (PostgreSQL).
-- Times are timestamptz (microsecond precision), JSON documents jsonb. Every object id is
-- globally unique; every other uniqueness rule is scoped by tenant. "Oldest first" listings
-- order by (created, seq). Constraint names are matched by the store to name the violated rule.

CREATE TABLE tenants (
    id           uuid        NOT NULL PRIMARY KEY,
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    domain       text        NOT NULL,
    -- domain lower-cased by the application, so both backends compare identically
    domain_key   text        NOT NULL,
    display_name text        NOT NULL,
    created      timestamptz NOT NULL,
    CONSTRAINT tenants_domain_key UNIQUE (domain_key)
);

CREATE TABLE applications (
    id                             uuid        NOT NULL PRIMARY KEY,
    seq                            bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id                      uuid        NOT NULL REFERENCES tenants (id),
    app_id                         uuid        NOT NULL,
    display_name                   text        NOT NULL,
    description                    text,
    requested_access_token_version smallint,
    sign_in_audience               text        NOT NULL,
    app_roles                      jsonb       NOT NULL,
    password_credentials           jsonb       NOT NULL,
    created                        timestamptz NOT NULL,
    CONSTRAINT applications_tenant_app_id_key UNIQUE (tenant_id, app_id),
    CONSTRAINT applications_tenant_id_key UNIQUE (tenant_id, id)
);

CREATE TABLE identifier_uris (
    tenant_id      uuid    NOT NULL,
    uri            text    NOT NULL,
    application_id uuid    NOT NULL,
    position       integer NOT NULL,
    CONSTRAINT identifier_uris_tenant_uri_key UNIQUE (tenant_id, uri),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX identifier_uris_application ON identifier_uris (application_id);

CREATE TABLE service_principals (
    id                           uuid        NOT NULL PRIMARY KEY,
    seq                          bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id                    uuid        NOT NULL REFERENCES tenants (id),
    app_id                       uuid        NOT NULL,
    display_name                 text        NOT NULL,
    account_enabled              boolean     NOT NULL,
    app_role_assignment_required boolean     NOT NULL,
    service_principal_type       text        NOT NULL,
    created                      timestamptz NOT NULL,
    CONSTRAINT service_principals_tenant_app_id_key UNIQUE (tenant_id, app_id),
    CONSTRAINT service_principals_tenant_id_key UNIQUE (tenant_id, id)
);

CREATE TABLE app_role_assignments (
    id           text        NOT NULL PRIMARY KEY,
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id    uuid        NOT NULL,
    principal_id uuid        NOT NULL,
    resource_id  uuid        NOT NULL,
    app_role_id  uuid        NOT NULL,
    created      timestamptz NOT NULL,
    CONSTRAINT app_role_assignments_unique_grant UNIQUE (tenant_id, principal_id, resource_id, app_role_id),
    FOREIGN KEY (tenant_id, principal_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_role_assignments_resource ON app_role_assignments (tenant_id, resource_id);

CREATE TABLE signing_keys (
    kid                text        NOT NULL PRIMARY KEY,
    seq                bigint      GENERATED ALWAYS AS IDENTITY,
    state              text        NOT NULL,
    created            timestamptz NOT NULL,
    activates          timestamptz NOT NULL,
    retires            timestamptz,
    sealed_private_key bytea       NOT NULL,
    certificate_der    bytea       NOT NULL
);
