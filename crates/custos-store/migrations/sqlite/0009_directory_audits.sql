-- Directory audits: one row per directory change, inserted by the change's own transaction, so a
-- change without its record cannot be committed. The record is kept as one JSON document (the
-- custos_core::audit::DirectoryAudit); the columns beside it are what readers filter and page by
-- (newest first: activity_time, then insertion order, rowid). tenant_id is NULL for installation-wide changes
-- (signing keys). Rows are never updated: the trigger refuses it.
CREATE TABLE directory_audits (
    id             TEXT    NOT NULL PRIMARY KEY,
    tenant_id      TEXT,
    activity_time  INTEGER NOT NULL,
    correlation_id TEXT    NOT NULL,
    activity       TEXT    NOT NULL,
    record         TEXT    NOT NULL
);
CREATE INDEX directory_audits_tenant_time ON directory_audits (tenant_id, activity_time);

CREATE TRIGGER directory_audits_never_updated BEFORE UPDATE ON directory_audits
BEGIN
    SELECT RAISE(ABORT, 'directory audits are never changed');
END;
