-- Tenants whose admins consented: the webhook secret (authId) the Activity API presents for them.
-- Times are Unix milliseconds.
CREATE TABLE tenants (
    tenant_id     TEXT    PRIMARY KEY,
    auth_id       TEXT    NOT NULL,
    admin         TEXT,
    onboarded_ms  INTEGER NOT NULL
);

-- Subscriptions as the Activity API last answered, and how far polling has listed content.
CREATE TABLE subscriptions (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (tenant_id),
    content_type   TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    detail         TEXT,
    polled_ms      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, content_type)
);

-- Content blobs seen (notified or listed); fetched_ms once their records are stored.
CREATE TABLE contents (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (tenant_id),
    content_id    TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    content_uri   TEXT    NOT NULL,
    -- 'webhook' or 'poll': how the blob was first learnt of
    source        TEXT    NOT NULL,
    seen_ms       INTEGER NOT NULL,
    fetched_ms    INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, content_id)
);
CREATE INDEX contents_pending ON contents (fetched_ms, seen_ms);

-- Records, one row per record Id and tenant (a record delivered twice is stored once).
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT    NOT NULL REFERENCES tenants (tenant_id),
    record_id      TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,
    content_id     TEXT    NOT NULL,
    operation      TEXT,
    creation_time  TEXT,
    record         TEXT    NOT NULL,
    stored_ms      INTEGER NOT NULL,
    UNIQUE (tenant_id, record_id)
);
