-- Per-tenant settings as one JSON document ({"assertionReplay": "compat" | "strict"});
-- a tenant without a row has the defaults.
CREATE TABLE tenant_settings (
    tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id),
    settings  TEXT NOT NULL
);

-- Replay markers of client assertions: one per (tenant, client, jti), with the SHA-256 of the
-- assertion as received and the Unix second after which the marker is dead (exp + clock skew).
-- Bounded by the assertion lifetime cap: dead markers are overwritten or purged.
CREATE TABLE assertion_replay (
    tenant_id TEXT    NOT NULL,
    client_id TEXT    NOT NULL,
    jti       TEXT    NOT NULL,
    digest    BLOB    NOT NULL,
    expires   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
) WITHOUT ROWID;

CREATE INDEX assertion_replay_expires ON assertion_replay (expires);
