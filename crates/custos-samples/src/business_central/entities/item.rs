//! `item`: BCDOCS `api-reference/v2.0/resources/dynamics_item.md`; lengths are the base
//! application's Item table (No. Code[20], Description Text[100], Description 2 Text[50], …).

use super::FieldType::{Boolean, DateTime, Decimal, Enum, Guid, Text};
use super::{EntityDef, EnumType, Field};

static ITEM_TYPE: EnumType =
    EnumType { name: "itemType", members: &["Inventory", "Service", "Non-Inventory"] };

pub(super) const DEF: EntityDef = EntityDef {
    set: "items",
    type_name: "item",
    caption: "Item",
    number_prefix: Some("I"),
    per_company: true,
    fields: &[
        Field::ro("id", Guid),
        Field::rw("number", Text(20)),
        Field::rw("displayName", Text(100)),
        Field::rw("displayName2", Text(50)),
        Field::rw("type", Enum(&ITEM_TYPE)),
        Field::rw("itemCategoryId", Guid),
        Field::rw("itemCategoryCode", Text(20)),
        Field::rw("blocked", Boolean),
        Field::rw("gtin", Text(14)),
        Field::rw("inventory", Decimal),
        Field::rw("unitPrice", Decimal),
        Field::rw("priceIncludesTax", Boolean),
        Field::rw("unitCost", Decimal),
        Field::rw("taxGroupId", Guid),
        Field::rw("taxGroupCode", Text(20)),
        Field::rw("baseUnitOfMeasureId", Guid),
        Field::rw("baseUnitOfMeasureCode", Text(10)),
        Field::rw("generalProductPostingGroupId", Guid),
        Field::rw("generalProductPostingGroupCode", Text(20)),
        Field::rw("inventoryPostingGroupId", Guid),
        Field::rw("inventoryPostingGroupCode", Text(20)),
        Field::ro("lastModifiedDateTime", DateTime),
    ],
};
