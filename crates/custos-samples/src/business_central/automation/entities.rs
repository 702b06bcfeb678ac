//! The Automation API's table-backed entities as [`EntityDef`]s, so that request bodies go through
//! the same validation as API v2.0 ([`codec::parse_body`](crate::business_central::entities::codec::parse_body))
//! and rows become JSON the same way. Fields and lengths: BCDOCS `administration/resources/dynamics_*`
//! (automationCompany, user); lengths are BC's table fields (Company Name Text[30], User Name Code[50],
//! Full Name Text[80], Contact Email Text[250]).

use crate::business_central::entities::FieldType::{Boolean, DateTime, Enum, Guid, Text};
use crate::business_central::entities::{EntityDef, EnumType, Field, company};

static USER_STATE: EnumType = EnumType { name: "userState", members: &["Enabled", "Disabled"] };

/// `automationCompanies`, over the `companies` table: POST `{name, displayName, businessProfileId}`,
/// PATCH renames.
pub(crate) static AUTOMATION_COMPANIES: EntityDef = EntityDef {
    type_name: "automationCompany",
    fields: &[
        Field::ro("id", Guid),
        company::NAME.writable(),
        Field::ro("evaluationCompany", Boolean),
        company::DISPLAY_NAME.writable(),
        company::BUSINESS_PROFILE_ID.writable(),
    ],
    ..company::DEF
};

/// `companies` of the Automation API: `id, systemVersion, name, displayName, businessProfileId`.
pub(crate) static COMPANIES: EntityDef = EntityDef {
    fields: &[
        Field::ro("id", Guid),
        company::SYSTEM_VERSION,
        company::NAME,
        company::DISPLAY_NAME,
        company::BUSINESS_PROFILE_ID,
    ],
    ..company::DEF
};

/// `users`: PATCH sets `state`, `expiryDate` and `contactEmail`.
pub(crate) static USERS: EntityDef = EntityDef {
    set: "users",
    type_name: "user",
    caption: "User",
    number_prefix: None,
    per_company: false,
    fields: &[
        Field::ro("userSecurityId", Guid),
        Field::ro("userName", Text(50)),
        Field::ro("displayName", Text(80)),
        Field::rw("state", Enum(&USER_STATE)),
        Field::rw("expiryDate", DateTime),
        Field::rw("contactEmail", Text(250)),
    ],
};

/// `userPermissions`: POST `{roleId, company}`; the other properties come from the permission set.
pub(crate) static USER_PERMISSIONS: EntityDef = EntityDef {
    set: "access_control",
    type_name: "userPermission",
    caption: "Access Control",
    number_prefix: None,
    per_company: false,
    fields: &[
        Field::ro("id", Guid),
        Field::ro("userSecurityId", Guid),
        Field::rw("roleId", Text(20)),
        Field::ro("displayName", Text(250)),
        Field::rw("company", Text(30)),
        Field::ro("appId", Guid),
        Field::ro("extensionName", Text(250)),
        Field::ro("scope", Text(30)),
    ],
};
