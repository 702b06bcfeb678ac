//! Between JSON and SQLite: a request body becomes typed, validated column values
//! ([`parse_body`]); a row becomes the entity's JSON object ([`row_to_json`]). Every value is
//! checked against its [`Field`]: unknown and read-only properties, JSON types, GUID syntax,
//! enum members and BC's maximum string lengths (issue 6 item 5).

use super::{EntityDef, Field, FieldType};
use crate::business_central::error::BcError;
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use uuid::Uuid;

/// A value ready to bind to a SQLite parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlValue {
    /// TEXT: strings, GUIDs, enum members and instants.
    Text(String),
    /// REAL: decimals.
    Real(f64),
    /// INTEGER: integers and booleans (0/1).
    Integer(i64),
}

/// An instant as stored and sent: UTC with milliseconds, `2026-11-26T10:34:45.123Z`.
pub(crate) fn format_instant(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    utc.format(&format).unwrap_or_else(|_| utc.format(&Rfc3339).unwrap_or_default())
}

/// A GUID as stored: lowercase, hyphenated.
pub(crate) fn format_guid(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// Whether a body is for a new record or a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// POST.
    Create,
    /// PATCH.
    Update,
}

/// The text the parsed body gives the field `name`, if any.
pub(crate) fn text_of<'a>(values: &'a [(&'static Field, SqlValue)], name: &str) -> Option<&'a str> {
    values.iter().find_map(|(f, v)| match v {
        SqlValue::Text(t) if f.name == name => Some(t.as_str()),
        _ => None,
    })
}

/// Parses a request body into `(field, value)` pairs for `def`, refusing anything BC would refuse.
/// OData instance annotations (`@odata.etag` and the like) are ignored, as the OData library does.
pub(crate) fn parse_body(
    def: &EntityDef,
    body: &[u8],
    write: Write,
) -> Result<Vec<(&'static Field, SqlValue)>, BcError> {
    let object: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => object,
        Ok(_) | Err(_) => return Err(BcError::InvalidBody("Invalid Request Body".to_owned())),
    };
    let mut values = Vec::with_capacity(object.len());
    for (name, value) in &object {
        if name.contains('@') {
            continue; // an annotation: `@odata.etag`, `displayName@odata.type`
        }
        let field = def.field(name).ok_or_else(|| {
            BcError::InvalidBody(format!(
                "The property '{name}' does not exist on type '{}'. Make sure to only use property names that are defined by the type.",
                def.qualified_type()
            ))
        })?;
        if !field.writable {
            return Err(BcError::ReadOnly(field.name));
        }
        let parsed = parse_value(field, value)?;
        if field.name == "number" && parsed == SqlValue::Text(String::new()) && write == Write::Update {
            return Err(BcError::FieldValidation(format!(
                "No. must have a value in {}: No.=. It cannot be zero or empty.",
                def.caption
            )));
        }
        values.push((field, parsed));
    }
    Ok(values)
}

/// One JSON value for `field`, converted and checked.
fn parse_value(field: &'static Field, value: &Value) -> Result<SqlValue, BcError> {
    if value.is_null() {
        return Err(BcError::BlankField(field.name));
    }
    let mismatch = || {
        BcError::InvalidBody(format!(
            "Cannot convert a primitive value to the expected type '{}'. See the inner exception for more details.",
            field.ty.edm_name()
        ))
    };
    match field.ty {
        FieldType::Text(max) => {
            let text = value.as_str().ok_or_else(mismatch)?;
            let length = text.chars().count();
            if length > max {
                return Err(BcError::StringTooLong { length, max, value: text.to_owned() });
            }
            Ok(SqlValue::Text(text.to_owned()))
        }
        FieldType::Guid => {
            let text = value.as_str().ok_or_else(mismatch)?;
            let id = Uuid::try_parse(text).map_err(|_| BcError::InvalidGuid)?;
            Ok(SqlValue::Text(format_guid(id)))
        }
        FieldType::Enum(enum_type) => {
            let text = value.as_str().ok_or_else(mismatch)?;
            let member = enum_type
                .members
                .iter()
                .find(|m| m.eq_ignore_ascii_case(text))
                .ok_or_else(|| BcError::InvalidOption(text.to_owned()))?;
            Ok(SqlValue::Text((*member).to_owned()))
        }
        FieldType::Decimal => {
            let number = value.as_f64().filter(|n| n.is_finite()).ok_or_else(mismatch)?;
            Ok(SqlValue::Real(number))
        }
        FieldType::Int64 => Ok(SqlValue::Integer(value.as_i64().ok_or_else(mismatch)?)),
        FieldType::Boolean => Ok(SqlValue::Integer(i64::from(value.as_bool().ok_or_else(mismatch)?))),
        FieldType::DateTime => {
            let text = value.as_str().ok_or_else(mismatch)?;
            let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| mismatch())?;
            Ok(SqlValue::Text(format_instant(at)))
        }
    }
}

/// The JSON value of `field` in `row`.
pub(crate) fn column_to_json(row: &SqliteRow, field: &Field) -> Result<Value, sqlx::Error> {
    Ok(match field.ty {
        FieldType::Guid | FieldType::Text(_) | FieldType::Enum(_) | FieldType::DateTime => {
            Value::String(row.try_get::<String, _>(field.name)?)
        }
        FieldType::Decimal => decimal_to_json(row.try_get::<f64, _>(field.name)?),
        FieldType::Int64 => Value::from(row.try_get::<i64, _>(field.name)?),
        FieldType::Boolean => Value::Bool(row.try_get::<i64, _>(field.name)? != 0),
    })
}

/// A decimal as BC writes it: whole numbers without a fraction (`0`, `1500`), others as they are.
pub(crate) fn decimal_to_json(number: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if number.fract() == 0.0 && number.abs() < EXACT {
        #[allow(clippy::cast_possible_truncation)] // whole and below 2^53: exact
        return Value::from(number as i64);
    }
    serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
}

/// The entity's JSON object with the given fields (all of them when `select` is `None`), after
/// the `@odata.etag` annotation.
pub(crate) fn row_to_json(
    row: &SqliteRow,
    def: &EntityDef,
    select: Option<&[&'static Field]>,
    etag: &str,
) -> Result<Map<String, Value>, sqlx::Error> {
    let mut object = Map::new();
    object.insert("@odata.etag".to_owned(), Value::String(etag.to_owned()));
    match select {
        Some(fields) => {
            for field in fields {
                object.insert(field.name.to_owned(), column_to_json(row, field)?);
            }
        }
        None => {
            for field in def.fields {
                object.insert(field.name.to_owned(), column_to_json(row, field)?);
            }
        }
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_central::entities::CUSTOMERS;

    fn parse(body: &str) -> Result<Vec<(&'static str, SqlValue)>, BcError> {
        parse_body(&CUSTOMERS, body.as_bytes(), Write::Create)
            .map(|v| v.into_iter().map(|(f, v)| (f.name, v)).collect())
    }

    #[test]
    fn accepts_typed_values_and_normalises_guids_and_enums() {
        let values = parse(
            r#"{"displayName":"A","creditLimit":12.5,"taxLiable":true,"type":"person",
                "currencyId":"0D6A1A3B-0000-0000-0000-00000000000A","@odata.etag":"W/\"x\""}"#,
        )
        .unwrap();
        assert!(values.contains(&("displayName", SqlValue::Text("A".to_owned()))));
        assert!(values.contains(&("creditLimit", SqlValue::Real(12.5))));
        assert!(values.contains(&("taxLiable", SqlValue::Integer(1))));
        assert!(values.contains(&("type", SqlValue::Text("Person".to_owned()))));
        assert!(
            values
                .contains(&("currencyId", SqlValue::Text("0d6a1a3b-0000-0000-0000-00000000000a".to_owned())))
        );
    }

    #[test]
    fn refuses_what_bc_refuses() {
        let code = |body: &str| parse(body).unwrap_err().code();
        assert_eq!(code("[1]"), "BadRequest");
        assert_eq!(code("{\"displayName\":"), "BadRequest");
        assert_eq!(code(r#"{"nickname":"x"}"#), "BadRequest");
        assert_eq!(code(r#"{"creditLimit":"lots"}"#), "BadRequest");
        assert_eq!(code(r#"{"id":"0d6a1a3b-0000-0000-0000-00000000000a"}"#), "BadRequest_InvalidOperation");
        assert_eq!(code(r#"{"balanceDue":1}"#), "BadRequest_InvalidOperation");
        assert_eq!(code(r#"{"displayName":null}"#), "BadRequest_RequiredParamNotProvided");
        assert_eq!(code(r#"{"city":"0123456789012345678901234567890"}"#), "Application_StringExceededLength");
        assert_eq!(code(r#"{"currencyId":"not-a-guid"}"#), "Application_InvalidGUID");
        assert_eq!(code(r#"{"blocked":"Sometimes"}"#), "Application_EvaluateException");
    }

    #[test]
    fn over_long_message_is_bcs() {
        let error = parse(&format!(r#"{{"displayName":"{}"}}"#, "x".repeat(101))).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "The length of the string is 101, but it must be less than or equal to 100 characters. Value: {}",
                "x".repeat(101)
            )
        );
    }

    #[test]
    fn decimals_are_json_numbers_without_needless_fractions() {
        assert_eq!(decimal_to_json(1500.0).to_string(), "1500");
        assert_eq!(decimal_to_json(12.5).to_string(), "12.5");
    }
}
