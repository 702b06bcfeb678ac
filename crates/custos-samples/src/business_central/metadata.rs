//! `$metadata`: the CSDL (OData v4) document of the API v2.0 sample, generated from the static
//! field tables so it always matches what the API accepts. Namespace `Microsoft.NAV` and
//! container `NAV` as BC's; enum members that are not identifiers are encoded as BC does
//! (`" "` → `_x0020_`, `Non-Inventory` → `Non_x002D_Inventory`). Read-only properties carry
//! `Org.OData.Core.V1.Computed`; customers, items and vendors are contained navigation
//! properties of `company`.

use super::entities::{ALL, COMPANY_SETS, EntityDef, FieldType};
use std::fmt::Write as _;

/// The CSDL XML document.
pub(crate) fn csdl() -> String {
    let mut xml = String::from(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        "\n",
        r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">"#,
        "\n<edmx:DataServices>\n",
        r#"<Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">"#,
        "\n"
    ));
    let mut enums_done: Vec<&str> = Vec::new();
    for def in ALL {
        for field in def.fields {
            if let FieldType::Enum(e) = field.ty
                && !enums_done.contains(&e.name)
            {
                enums_done.push(e.name);
                let _ = writeln!(xml, r#"<EnumType Name="{}">"#, e.name);
                for (value, member) in e.members.iter().enumerate() {
                    let _ = writeln!(xml, r#"<Member Name="{}" Value="{value}"/>"#, identifier(member));
                }
                xml.push_str("</EnumType>\n");
            }
        }
    }
    for def in ALL {
        entity_type(&mut xml, def);
    }
    xml.push_str(concat!(
        r#"<EntityContainer Name="NAV">"#,
        "\n",
        r#"<EntitySet Name="companies" EntityType="Microsoft.NAV.company"/>"#,
        "\n</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
    ));
    xml
}

fn entity_type(xml: &mut String, def: &EntityDef) {
    let _ = writeln!(xml, r#"<EntityType Name="{}">"#, def.type_name);
    xml.push_str("<Key><PropertyRef Name=\"id\"/></Key>\n");
    for field in def.fields {
        let facets = match field.ty {
            FieldType::Text(max) => format!(r#" MaxLength="{max}""#),
            FieldType::Decimal => r#" Scale="Variable""#.to_owned(),
            _ => String::new(),
        };
        let nullable = if field.name == "id" { r#" Nullable="false""# } else { "" };
        if field.writable {
            let _ = writeln!(
                xml,
                r#"<Property Name="{}" Type="{}"{nullable}{facets}/>"#,
                field.name,
                field.ty.edm_name()
            );
        } else {
            let _ = writeln!(
                xml,
                r#"<Property Name="{}" Type="{}"{nullable}{facets}><Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/></Property>"#,
                field.name,
                field.ty.edm_name()
            );
        }
    }
    if !def.per_company {
        for set in COMPANY_SETS {
            let _ = writeln!(
                xml,
                r#"<NavigationProperty Name="{}" Type="Collection(Microsoft.NAV.{})" ContainsTarget="true"/>"#,
                set.set, set.type_name
            );
        }
    }
    xml.push_str("</EntityType>\n");
}

/// A member name as a CSDL identifier: characters other than letters, digits and `_` become
/// `_xHHHH_`.
fn identifier(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            let _ = write!(out, "_x{:04X}_", c as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_every_set_and_property() {
        let xml = csdl();
        assert!(xml.contains(r#"<EntitySet Name="companies" EntityType="Microsoft.NAV.company"/>"#));
        assert!(xml.contains(r#"<NavigationProperty Name="customers" Type="Collection(Microsoft.NAV.customer)" ContainsTarget="true"/>"#));
        assert!(xml.contains(r#"<Property Name="displayName" Type="Edm.String" MaxLength="100"/>"#));
        assert!(xml.contains(r#"<Property Name="creditLimit" Type="Edm.Decimal" Scale="Variable"/>"#));
        assert!(xml.contains(r#"<Member Name="_x0020_" Value="0"/>"#));
        assert!(xml.contains(r#"<Member Name="Non_x002D_Inventory" Value="2"/>"#));
        assert!(xml.contains(r#"<Property Name="lastModifiedDateTime" Type="Edm.DateTimeOffset"><Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/></Property>"#));
        for def in ALL {
            assert!(xml.contains(&format!(r#"<EntityType Name="{}">"#, def.type_name)));
        }
    }
}
