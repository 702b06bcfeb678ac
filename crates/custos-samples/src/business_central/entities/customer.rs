//! `customer`: BCDOCS `api-reference/v2.0/resources/dynamics_customer.md`; lengths are the base
//! application's Customer table (No. Code[20], Name Text[100], City Text[30], E-Mail Text[80], …).

use super::FieldType::{Boolean, DateTime, Decimal, Enum, Guid, Text};
use super::address::with_address;
use super::{EntityDef, EnumType, Field};

static CUSTOMER_TYPE: EnumType = EnumType { name: "contactType", members: &["Company", "Person"] };
static CUSTOMER_BLOCKED: EnumType =
    EnumType { name: "customerBlocked", members: &[" ", "Ship", "Invoice", "All"] };

pub(super) const DEF: EntityDef = EntityDef {
    set: "customers",
    type_name: "customer",
    caption: "Customer",
    number_prefix: Some("C"),
    per_company: true,
    fields: with_address!(
        [
            Field::ro("id", Guid),
            Field::rw("number", Text(20)),
            Field::rw("displayName", Text(100)),
            Field::rw("type", Enum(&CUSTOMER_TYPE)),
        ],
        [
            Field::rw("salespersonCode", Text(20)),
            Field::ro("balanceDue", Decimal),
            Field::rw("creditLimit", Decimal),
            Field::rw("taxLiable", Boolean),
            Field::rw("taxAreaId", Guid),
            Field::ro("taxAreaDisplayName", Text(100)),
            Field::rw("taxRegistrationNumber", Text(20)),
            Field::rw("currencyId", Guid),
            Field::rw("currencyCode", Text(10)),
            Field::rw("paymentTermsId", Guid),
            Field::rw("shipmentMethodId", Guid),
            Field::rw("paymentMethodId", Guid),
            Field::rw("blocked", Enum(&CUSTOMER_BLOCKED)),
            Field::ro("lastModifiedDateTime", DateTime),
        ]
    ),
};
