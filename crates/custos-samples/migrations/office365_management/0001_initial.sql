-- Subscriptions: one row per tenant and content type ever started. Times are Unix milliseconds.
CREATE TABLE subscriptions (
    tenant_id            TEXT    NOT NULL,
    content_type         TEXT    NOT NULL,
    enabled              INTEGER NOT NULL,
    -- 'stopped' (by /stop) or 'admin' (disabled by a tenant admin), when not enabled
    disabled_by          TEXT,
    client_id            TEXT    NOT NULL,
    started_ms           INTEGER NOT NULL,
    webhook_address      TEXT,
    webhook_auth_id      TEXT,
    -- the expiration as given (echoed by list) and as an instant
    webhook_expiration   TEXT,
    webhook_expires_ms   INTEGER,
    -- 'enabled', 'disabled' (too many failures) or 'expired'
    webhook_status       TEXT,
    webhook_failing_ms   INTEGER,
    PRIMARY KEY (tenant_id, content_type)
);

-- Content blobs: the records of one window, as the JSON array the blob URL answers.
CREATE TABLE blobs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    content_id   TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    records      TEXT    NOT NULL,
    UNIQUE (tenant_id, content_id)
);
CREATE INDEX blobs_listing ON blobs (tenant_id, content_type, created_ms, seq);

-- Where each tenant's producer of each content type stopped (the end of its last window).
CREATE TABLE cursors (
    tenant_id    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    until_ms     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, content_type)
);

-- The webhook outbox: blobs still to be notified, with their retry schedule.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    blob_seq     INTEGER NOT NULL REFERENCES blobs (seq) ON DELETE CASCADE,
    tenant_id    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    due_ms       INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (due_ms);

-- Every notification attempt, as /subscriptions/notifications lists them.
CREATE TABLE notifications (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    blob_seq     INTEGER NOT NULL REFERENCES blobs (seq) ON DELETE CASCADE,
    tenant_id    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    sent_ms      INTEGER NOT NULL,
    succeeded    INTEGER NOT NULL
);
CREATE INDEX notifications_listing ON notifications (tenant_id, content_type, sent_ms, seq);
