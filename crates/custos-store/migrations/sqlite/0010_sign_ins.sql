-- Sign-in logs: one row per token-endpoint or sign-in-page decision, appended in batches by the
-- sign-in writer. The record is kept as one JSON document (custos_core::sign_in_log::SignIn);
-- the columns beside it are what readers filter and page by (newest first: created_time, then
-- insertion order, rowid). user_principal_name is lower-case, '' for workload sign-ins.
-- Rows are never updated (the trigger refuses it); only the retention purge deletes them.
CREATE TABLE sign_ins (
    id                  TEXT    NOT NULL PRIMARY KEY,
    tenant_id           TEXT    NOT NULL,
    created_time        INTEGER NOT NULL,
    event_type          TEXT    NOT NULL,
    app_id              TEXT    NOT NULL,
    user_principal_name TEXT    NOT NULL,
    error_code          INTEGER NOT NULL,
    record              TEXT    NOT NULL
);
CREATE INDEX sign_ins_tenant_time ON sign_ins (tenant_id, created_time);

CREATE TRIGGER sign_ins_never_updated BEFORE UPDATE ON sign_ins
BEGIN
    SELECT RAISE(ABORT, 'sign-in records are never changed');
END;
