-- Interactive clients and delegated permissions on applications (JSON documents: redirect URIs
-- by platform {web, publicClient, spa}, requiredResourceAccess, api.oauth2PermissionScopes).
ALTER TABLE applications ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '{}';
ALTER TABLE applications ADD COLUMN required_resource_access TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN oauth2_permission_scopes TEXT NOT NULL DEFAULT '[]';

-- Users. upn_key is the user principal name lower-cased by the application, unique per tenant.
-- password_hash is an Argon2id PHC string; it is read only by the sign-in path.
CREATE TABLE users (
    id                  TEXT    NOT NULL PRIMARY KEY,
    tenant_id           TEXT    NOT NULL REFERENCES tenants (id),
    user_principal_name TEXT    NOT NULL,
    upn_key             TEXT    NOT NULL,
    display_name        TEXT    NOT NULL,
    given_name          TEXT,
    surname             TEXT,
    mail_nickname       TEXT    NOT NULL,
    mail                TEXT,
    account_enabled     INTEGER NOT NULL,
    tokens_valid_from   INTEGER NOT NULL,
    password_hash       TEXT    NOT NULL,
    created             INTEGER NOT NULL,
    CONSTRAINT users_tenant_upn_key UNIQUE (tenant_id, upn_key),
    CONSTRAINT users_tenant_id_key UNIQUE (tenant_id, id)
);

-- Directory roles held by users (tenant-wide scope "/").
CREATE TABLE directory_role_assignments (
    id                 TEXT    NOT NULL PRIMARY KEY,
    tenant_id          TEXT    NOT NULL,
    role_definition_id TEXT    NOT NULL,
    principal_id       TEXT    NOT NULL,
    created            INTEGER NOT NULL,
    CONSTRAINT directory_role_assignments_unique UNIQUE (tenant_id, role_definition_id, principal_id),
    FOREIGN KEY (tenant_id, principal_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX directory_role_assignments_principal ON directory_role_assignments (tenant_id, principal_id);

-- Delegated permission grants (Graph oauth2PermissionGrant). principal_key is the user id for a
-- Principal grant and '' for AllPrincipals, so that the uniqueness rule covers both.
CREATE TABLE oauth2_permission_grants (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    consent_type  TEXT    NOT NULL,
    principal_id  TEXT,
    principal_key TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    scope         TEXT    NOT NULL,
    created       INTEGER NOT NULL,
    CONSTRAINT oauth2_permission_grants_unique UNIQUE (tenant_id, client_id, resource_id, principal_key),
    FOREIGN KEY (tenant_id, client_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
