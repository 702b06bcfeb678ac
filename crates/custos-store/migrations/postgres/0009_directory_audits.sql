-- Directory audits: one row per directory change, inserted by the change's own transaction, so a
-- change without its record cannot be committed. The record is kept as one JSON document (the
-- custos_core::audit::DirectoryAudit); the columns beside it are what readers filter and page by
-- (newest first: activity_time, then insertion order, seq). tenant_id is NULL for installation-wide changes
-- (signing keys). Rows are never updated: the trigger refuses it.
CREATE TABLE directory_audits (
    id             text        NOT NULL PRIMARY KEY,
    seq            bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id      uuid,
    activity_time  timestamptz NOT NULL,
    correlation_id uuid        NOT NULL,
    activity       text        NOT NULL,
    record         jsonb       NOT NULL
);
CREATE INDEX directory_audits_tenant_time ON directory_audits (tenant_id, activity_time, seq);

CREATE FUNCTION directory_audits_never_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'directory audits are never changed';
END;
$$;
CREATE TRIGGER directory_audits_never_updated BEFORE UPDATE ON directory_audits
    FOR EACH ROW EXECUTE FUNCTION directory_audits_never_updated();
