//! The postal address and contact properties customers and vendors share, in BC's order and with
//! the lengths of the base application's Customer and Vendor tables (Address Text[100], Address 2
//! Text[50], City Text[30], County Text[30], Country/Region Code Code[10], Post Code Code[20],
//! Phone No. Text[30], E-Mail Text[80], Home Page Text[80]).

use super::Field;
use super::FieldType::Text;

/// `addressLine1`.
pub(super) const LINE_1: Field = Field::rw("addressLine1", Text(100));
/// `addressLine2`.
pub(super) const LINE_2: Field = Field::rw("addressLine2", Text(50));
/// `city`.
pub(super) const CITY: Field = Field::rw("city", Text(30));
/// `state` (BC's County).
pub(super) const STATE: Field = Field::rw("state", Text(30));
/// `country` (Country/Region Code).
pub(super) const COUNTRY: Field = Field::rw("country", Text(10));
/// `postalCode`.
pub(super) const POSTAL_CODE: Field = Field::rw("postalCode", Text(20));
/// `phoneNumber`.
pub(super) const PHONE_NUMBER: Field = Field::rw("phoneNumber", Text(30));
/// `email`.
pub(super) const EMAIL: Field = Field::rw("email", Text(80));
/// `website`.
pub(super) const WEBSITE: Field = Field::rw("website", Text(80));

/// A field table: the fields of the first list, the address and contact fields, then the fields
/// of the second list.
macro_rules! with_address {
    ([$($head:expr),* $(,)?], [$($tail:expr),* $(,)?]) => {{
        use $crate::business_central::entities::address as a;
        &[
            $($head,)*
            a::LINE_1, a::LINE_2, a::CITY, a::STATE, a::COUNTRY, a::POSTAL_CODE, a::PHONE_NUMBER, a::EMAIL,
            a::WEBSITE,
            $($tail,)*
        ]
    }};
}

pub(super) use with_address;
