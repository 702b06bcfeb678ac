//! `vendor`: BCDOCS `api-reference/v2.0/resources/dynamics_vendor.md`; lengths are the base
//! application's Vendor table (No. Code[20], Name Text[100], City Text[30], E-Mail Text[80], …).

use super::FieldType::{Boolean, DateTime, Decimal, Enum, Guid, Text};
use super::address::with_address;
use super::{EntityDef, EnumType, Field};

static VENDOR_BLOCKED: EnumType = EnumType { name: "vendorBlocked", members: &[" ", "Payment", "All"] };

pub(super) const DEF: EntityDef = EntityDef {
    set: "vendors",
    type_name: "vendor",
    caption: "Vendor",
    number_prefix: Some("V"),
    per_company: true,
    fields: with_address!(
        [Field::ro("id", Guid), Field::rw("number", Text(20)), Field::rw("displayName", Text(100)),],
        [
            Field::rw("taxRegistrationNumber", Text(20)),
            Field::rw("currencyId", Guid),
            Field::rw("currencyCode", Text(10)),
            Field::rw("irs1099Code", Text(10)),
            Field::rw("paymentTermsId", Guid),
            Field::rw("paymentMethodId", Guid),
            Field::rw("taxLiable", Boolean),
            Field::rw("blocked", Enum(&VENDOR_BLOCKED)),
            Field::ro("balance", Decimal),
            Field::ro("lastModifiedDateTime", DateTime),
        ]
    ),
};
