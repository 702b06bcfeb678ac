//! The demo data a fresh database starts with: the company "CRONUS USA, Inc." of BC's docs
//! (BCDOCS `api/dynamics_company_get.md`) with a few customers, items and vendors.

use super::db::{self, Begin};
use super::entities::codec::{format_guid, format_instant};
use sqlx::SqlitePool;
use time::OffsetDateTime;
use uuid::Uuid;

/// The demo company's `name`.
pub(crate) const COMPANY_NAME: &str = "CRONUS US";
/// The demo company's `displayName`.
pub(crate) const COMPANY_DISPLAY_NAME: &str = "CRONUS USA, Inc.";
/// The demo company's `systemVersion` (the docs' example).
pub(crate) const SYSTEM_VERSION: &str = "21.2.49946.51685";

/// (number, displayName, type, city, state, email, creditLimit)
const CUSTOMERS: [(&str, &str, &str, &str, &str, &str, f64); 5] = [
    ("C00010", "Adatum Corporation", "Company", "Atlanta", "GA", "robert.townes@contoso.com", 0.0),
    ("C00020", "Trey Research", "Company", "Chicago", "IL", "helen.ray@contoso.com", 5000.0),
    ("C00030", "School of Fine Art", "Company", "Miami", "FL", "meagan.bond@contoso.com", 0.0),
    ("C00040", "Alpine Ski House", "Company", "Atlanta", "GA", "ian.deberry@contoso.com", 10000.0),
    ("C00050", "Relecloud", "Company", "Miami", "FL", "paul.cannon@contoso.com", 0.0),
];

/// (number, displayName, type, unitPrice, unitCost, inventory, baseUnitOfMeasureCode)
const ITEMS: [(&str, &str, &str, f64, f64, f64, &str); 5] = [
    ("I00010", "ATHENS Desk", "Inventory", 1000.8, 780.7, 4.0, "PCS"),
    ("I00020", "PARIS Guest Chair, black", "Inventory", 192.8, 150.4, 12.0, "PCS"),
    ("I00030", "ATHENS Mobile Pedestal", "Inventory", 281.4, 219.5, 8.0, "PCS"),
    ("I00040", "LONDON Swivel Chair, blue", "Inventory", 123.3, 96.2, 20.0, "PCS"),
    ("I00050", "Installation", "Service", 75.0, 0.0, 0.0, "HOUR"),
];

/// (number, displayName, city, state, email)
const VENDORS: [(&str, &str, &str, &str, &str); 4] = [
    ("V00010", "Fabrikam, Inc.", "Atlanta", "GA", "accounts@fabrikam.example"),
    ("V00020", "First Up Consultants", "Chicago", "IL", "billing@firstup.example"),
    ("V00030", "Graphic Design Institute", "Miami", "FL", "office@graphicdesign.example"),
    ("V00040", "Wide World Importers", "Atlanta", "GA", "sales@wideworld.example"),
];

/// Seeds the demo company and its records unless a company exists already.
pub(crate) async fn seed_if_empty(pool: &SqlitePool, now: OffsetDateTime) -> Result<(), sqlx::Error> {
    let mut tx = db::begin(pool, Begin::Write).await?;
    let companies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies").fetch_one(&mut *tx).await?;
    if companies > 0 {
        return Ok(());
    }
    let at = format_instant(now);
    let company = format_guid(Uuid::new_v4());
    sqlx::query(
        "INSERT INTO companies (id, systemVersion, timestamp, name, displayName, businessProfileId, \
         systemCreatedAt, systemModifiedAt) VALUES (?, ?, 50516, ?, ?, '', ?, ?)",
    )
    .bind(&company)
    .bind(SYSTEM_VERSION)
    .bind(COMPANY_NAME)
    .bind(COMPANY_DISPLAY_NAME)
    .bind(&at)
    .bind(&at)
    .execute(&mut *tx)
    .await?;
    for (number, name, kind, city, state, email, credit) in CUSTOMERS {
        sqlx::query(
            "INSERT INTO customers (id, company_id, number, displayName, type, city, state, country, email, \
             creditLimit, lastModifiedDateTime) VALUES (?, ?, ?, ?, ?, ?, ?, 'US', ?, ?, ?)",
        )
        .bind(format_guid(Uuid::new_v4()))
        .bind(&company)
        .bind(number)
        .bind(name)
        .bind(kind)
        .bind(city)
        .bind(state)
        .bind(email)
        .bind(credit)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    for (number, name, kind, price, cost, inventory, unit) in ITEMS {
        sqlx::query(
            "INSERT INTO items (id, company_id, number, displayName, type, unitPrice, unitCost, inventory, \
             baseUnitOfMeasureCode, lastModifiedDateTime) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(format_guid(Uuid::new_v4()))
        .bind(&company)
        .bind(number)
        .bind(name)
        .bind(kind)
        .bind(price)
        .bind(cost)
        .bind(inventory)
        .bind(unit)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    for (number, name, city, state, email) in VENDORS {
        sqlx::query(
            "INSERT INTO vendors (id, company_id, number, displayName, city, state, country, email, \
             lastModifiedDateTime) VALUES (?, ?, ?, ?, ?, ?, 'US', ?, ?)",
        )
        .bind(format_guid(Uuid::new_v4()))
        .bind(&company)
        .bind(number)
        .bind(name)
        .bind(city)
        .bind(state)
        .bind(email)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
