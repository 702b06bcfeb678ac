//! `company` (GET only): BCDOCS `api-reference/v2.0/resources/dynamics_company.md`.

use super::FieldType::{DateTime, Guid, Int64, Text};
use super::{EntityDef, Field};

pub(super) const DEF: EntityDef = EntityDef {
    set: "companies",
    type_name: "company",
    caption: "Company",
    number_prefix: None,
    per_company: false,
    fields: &[
        Field::ro("id", Guid),
        Field::ro("systemVersion", Text(250)),
        Field::ro("timestamp", Int64),
        Field::ro("name", Text(30)),
        Field::ro("displayName", Text(250)),
        Field::ro("businessProfileId", Text(250)),
        Field::ro("systemCreatedAt", DateTime),
        Field::ro("systemCreatedBy", Guid),
        Field::ro("systemModifiedAt", DateTime),
        Field::ro("systemModifiedBy", Guid),
    ],
};
