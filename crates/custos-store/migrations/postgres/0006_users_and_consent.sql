-- Interactive clients and delegated permissions on applications (JSON documents: redirect URIs
-- by platform {web, publicClient, spa}, requiredResourceAccess, api.oauth2PermissionScopes).
ALTER TABLE applications ADD COLUMN redirect_uris jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE applications ADD COLUMN required_resource_access jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE applications ADD COLUMN oauth2_permission_scopes jsonb NOT NULL DEFAULT '[]'::jsonb;

-- Users. upn_key is the user principal name lower-cased by the application, unique per tenant.
-- password_hash is an Argon2id PHC string; it is read only by the sign-in path.
CREATE TABLE users (
    id                  uuid        NOT NULL PRIMARY KEY,
    seq                 bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id           uuid        NOT NULL REFERENCES tenants (id),
    user_principal_name text        NOT NULL,
    upn_key             text        NOT NULL,
    display_name        text        NOT NULL,
    given_name          text,
    surname             text,
    mail_nickname       text        NOT NULL,
    mail                text,
    account_enabled     boolean     NOT NULL,
    tokens_valid_from   timestamptz NOT NULL,
    password_hash       text        NOT NULL,
    created             timestamptz NOT NULL,
    CONSTRAINT users_tenant_upn_key UNIQUE (tenant_id, upn_key),
    CONSTRAINT users_tenant_id_key UNIQUE (tenant_id, id)
);

-- Directory roles held by users (tenant-wide scope "/").
CREATE TABLE directory_role_assignments (
    id                 text        NOT NULL PRIMARY KEY,
    seq                bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id          uuid        NOT NULL,
    role_definition_id uuid        NOT NULL,
    principal_id       uuid        NOT NULL,
    created            timestamptz NOT NULL,
    CONSTRAINT directory_role_assignments_unique UNIQUE (tenant_id, role_definition_id, principal_id),
    FOREIGN KEY (tenant_id, principal_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX directory_role_assignments_principal ON directory_role_assignments (tenant_id, principal_id);

-- Delegated permission grants (Graph oauth2PermissionGrant). principal_key is the user id for a
-- Principal grant and '' for AllPrincipals, so that the uniqueness rule covers both.
CREATE TABLE oauth2_permission_grants (
    id            text        NOT NULL PRIMARY KEY,
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id     uuid        NOT NULL,
    client_id     uuid        NOT NULL,
    consent_type  text        NOT NULL,
    principal_id  uuid,
    principal_key text        NOT NULL,
    resource_id   uuid        NOT NULL,
    scope         text        NOT NULL,
    created       timestamptz NOT NULL,
    CONSTRAINT oauth2_permission_grants_unique UNIQUE (tenant_id, client_id, resource_id, principal_key),
    FOREIGN KEY (tenant_id, client_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, resource_id) REFERENCES service_principals (tenant_id, id) ON DELETE CASCADE
);
