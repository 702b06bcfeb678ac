-- Business Central's "Microsoft Entra Applications" card (table 9012 "AAD Application") and what it
-- shares with the Automation API: users (table 2000000120 "User") and their permission-set
-- assignments (table 2000000053 "Access Control", the Automation API's userPermissions).
-- Every application has a user (License Type "Application") whose State mirrors the card's.
-- Columns of API entities are named after their JSON properties, as in 0001.

CREATE TABLE users (
    userSecurityId TEXT PRIMARY KEY NOT NULL,                            -- GUID, lower case
    userName       TEXT NOT NULL,                                        -- Code[50]
    displayName    TEXT NOT NULL DEFAULT '',                             -- Full Name, Text[80]
    state          TEXT NOT NULL CHECK (state IN ('Enabled', 'Disabled')),
    expiryDate     TEXT NOT NULL DEFAULT '0001-01-01T00:00:00.000Z',     -- BC's "no expiry"
    contactEmail   TEXT NOT NULL DEFAULT '',                             -- Text[250]
    licenseType    TEXT NOT NULL CHECK (licenseType IN ('Full User', 'Application')),
    version        INTEGER NOT NULL DEFAULT 1,                           -- bumped on every change (ETag)
    modifiedAt     TEXT NOT NULL
);

CREATE TABLE entra_applications (
    client_id        TEXT PRIMARY KEY NOT NULL,                          -- GUID, lower case
    description      TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 50),
    state            TEXT NOT NULL CHECK (state IN ('Enabled', 'Disabled')),
    user_security_id TEXT NOT NULL UNIQUE REFERENCES users (userSecurityId),
    created_at       TEXT NOT NULL,
    modified_at      TEXT NOT NULL
);

CREATE TABLE access_control (
    id             TEXT PRIMARY KEY NOT NULL,                            -- GUID (userPermissions id)
    userSecurityId TEXT NOT NULL REFERENCES users (userSecurityId) ON DELETE CASCADE,
    roleId         TEXT NOT NULL,                                        -- Code[20]
    company        TEXT NOT NULL DEFAULT '',                             -- '' = every company
    UNIQUE (userSecurityId, roleId, company)
);
CREATE INDEX access_control_user ON access_control (userSecurityId);
