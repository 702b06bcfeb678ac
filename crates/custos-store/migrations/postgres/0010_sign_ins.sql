-- Sign-in logs: one row per token-endpoint or sign-in-page decision, appended in batches by the
-- sign-in writer of every node. The record is kept as one JSON document
-- (custos_core::sign_in_log::SignIn); the columns beside it are what readers filter and page by
-- (newest first: created_time, then insertion order, seq). user_principal_name is lower-case,
-- '' for workload sign-ins. Rows are never updated (the trigger refuses it); only the retention
-- purge deletes them.
CREATE TABLE sign_ins (
    id                  uuid        NOT NULL PRIMARY KEY,
    seq                 bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id           uuid        NOT NULL,
    created_time        timestamptz NOT NULL,
    event_type          text        NOT NULL,
    app_id              text        NOT NULL,
    user_principal_name text        NOT NULL,
    error_code          bigint      NOT NULL,
    record              jsonb       NOT NULL
);
CREATE INDEX sign_ins_tenant_time ON sign_ins (tenant_id, created_time, seq);

CREATE FUNCTION sign_ins_never_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sign-in records are never changed';
END;
$$;
CREATE TRIGGER sign_ins_never_updated BEFORE UPDATE ON sign_ins
    FOR EACH ROW EXECUTE FUNCTION sign_ins_never_updated();
