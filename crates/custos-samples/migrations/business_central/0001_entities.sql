-- Business Central sample, API v2.0 data: companies and, per company, customers, items and vendors.
-- Column names are the API's property names (resource-apis.md §1.2); the code quotes them and takes them
-- only from its static field tables. Text columns compare case-insensitively, like BC's SQL collation.
-- Instants are UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ' (ordered as text). `version` drives the ETag.

CREATE TABLE companies (
    id                  TEXT    NOT NULL PRIMARY KEY,
    version             INTEGER NOT NULL DEFAULT 1,
    systemVersion       TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    timestamp           INTEGER NOT NULL DEFAULT 0,
    name                TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    displayName         TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    businessProfileId   TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    systemCreatedAt     TEXT    NOT NULL,
    systemCreatedBy     TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    systemModifiedAt    TEXT    NOT NULL,
    systemModifiedBy    TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'
);

CREATE TABLE customers (
    id                    TEXT    NOT NULL PRIMARY KEY,
    company_id            TEXT    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    version               INTEGER NOT NULL DEFAULT 1,
    number                TEXT    NOT NULL COLLATE NOCASE,
    displayName           TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    type                  TEXT    NOT NULL COLLATE NOCASE DEFAULT 'Company',
    addressLine1          TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    addressLine2          TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    city                  TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    state                 TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    country               TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    postalCode            TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    phoneNumber           TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    email                 TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    website               TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    salespersonCode       TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    balanceDue            REAL    NOT NULL DEFAULT 0,
    creditLimit           REAL    NOT NULL DEFAULT 0,
    taxLiable             INTEGER NOT NULL DEFAULT 0,
    taxAreaId             TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    taxAreaDisplayName    TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    taxRegistrationNumber TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    currencyId            TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    currencyCode          TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    paymentTermsId        TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    shipmentMethodId      TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    paymentMethodId       TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    blocked               TEXT    NOT NULL COLLATE NOCASE DEFAULT ' ',
    lastModifiedDateTime  TEXT    NOT NULL,
    UNIQUE (company_id, number)
);

CREATE TABLE items (
    id                              TEXT    NOT NULL PRIMARY KEY,
    company_id                      TEXT    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    version                         INTEGER NOT NULL DEFAULT 1,
    number                          TEXT    NOT NULL COLLATE NOCASE,
    displayName                     TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    displayName2                    TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    type                            TEXT    NOT NULL COLLATE NOCASE DEFAULT 'Inventory',
    itemCategoryId                  TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    itemCategoryCode                TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    blocked                         INTEGER NOT NULL DEFAULT 0,
    gtin                            TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    inventory                       REAL    NOT NULL DEFAULT 0,
    unitPrice                       REAL    NOT NULL DEFAULT 0,
    priceIncludesTax                INTEGER NOT NULL DEFAULT 0,
    unitCost                        REAL    NOT NULL DEFAULT 0,
    taxGroupId                      TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    taxGroupCode                    TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    baseUnitOfMeasureId             TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    baseUnitOfMeasureCode           TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    generalProductPostingGroupId    TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    generalProductPostingGroupCode  TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    inventoryPostingGroupId         TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    inventoryPostingGroupCode       TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    lastModifiedDateTime            TEXT    NOT NULL,
    UNIQUE (company_id, number)
);

CREATE TABLE vendors (
    id                    TEXT    NOT NULL PRIMARY KEY,
    company_id            TEXT    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    version               INTEGER NOT NULL DEFAULT 1,
    number                TEXT    NOT NULL COLLATE NOCASE,
    displayName           TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    addressLine1          TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    addressLine2          TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    city                  TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    state                 TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    country               TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    postalCode            TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    phoneNumber           TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    email                 TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    website               TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    taxRegistrationNumber TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    currencyId            TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    currencyCode          TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    irs1099Code           TEXT    NOT NULL COLLATE NOCASE DEFAULT '',
    paymentTermsId        TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    paymentMethodId       TEXT    NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    taxLiable             INTEGER NOT NULL DEFAULT 0,
    blocked               TEXT    NOT NULL COLLATE NOCASE DEFAULT ' ',
    balance               REAL    NOT NULL DEFAULT 0,
    lastModifiedDateTime  TEXT    NOT NULL,
    UNIQUE (company_id, number)
);

CREATE INDEX customers_company ON customers (company_id);
CREATE INDEX items_company ON items (company_id);
CREATE INDEX vendors_company ON vendors (company_id);
