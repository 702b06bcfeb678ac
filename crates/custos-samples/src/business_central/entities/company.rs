//! `company` (GET only): BCDOCS `api-reference/v2.0/resources/dynamics_company.md`. The columns
//! the Automation API's views of the `companies` table share with it are defined here once.

use super::FieldType::{DateTime, Guid, Int64, Text};
use super::{EntityDef, Field};

/// `systemVersion`: the BC build the company runs on.
pub(crate) const SYSTEM_VERSION: Field = Field::ro("systemVersion", Text(250));
/// `name`: Company Name, Text[30].
pub(crate) const NAME: Field = Field::ro("name", Text(30));
/// `displayName`.
pub(crate) const DISPLAY_NAME: Field = Field::ro("displayName", Text(250));
/// `businessProfileId`.
pub(crate) const BUSINESS_PROFILE_ID: Field = Field::ro("businessProfileId", Text(250));

/// API v2.0's `company`; the Automation API's views take its set and caption.
pub(crate) const DEF: EntityDef = EntityDef {
    set: "companies",
    type_name: "company",
    caption: "Company",
    number_prefix: None,
    per_company: false,
    fields: &[
        Field::ro("id", Guid),
        SYSTEM_VERSION,
        Field::ro("timestamp", Int64),
        NAME,
        DISPLAY_NAME,
        BUSINESS_PROFILE_ID,
        Field::ro("systemCreatedAt", DateTime),
        Field::ro("systemCreatedBy", Guid),
        Field::ro("systemModifiedAt", DateTime),
        Field::ro("systemModifiedBy", Guid),
    ],
};
