-- Owners of applications and service principals (Graph's owners relationship): users or service
-- principals of the same tenant. No foreign keys, as either side is one of two tables; the rows
-- are deleted with the application, service principal or user in the same transaction.
CREATE TABLE owners (
    tenant_id uuid        NOT NULL,
    object_id uuid        NOT NULL,
    owner_id  uuid        NOT NULL,
    seq       bigint      GENERATED ALWAYS AS IDENTITY,
    created   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, object_id, owner_id)
);
CREATE INDEX owners_owner ON owners (tenant_id, owner_id);
