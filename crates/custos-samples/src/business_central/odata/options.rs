//! OData system query options of a request (resource-apis.md §1.5): `$filter`, `$select`,
//! `$orderby`, `$top`, `$skip`, `$count` and the server's own `$skiptoken`, decoded from the raw
//! query string and checked against an entity. Unknown `$` options are refused; other
//! parameters are custom options and ignored, as OData says.

use super::check::{Filter, check};
use super::paging::decode_skip_token;
use super::parser::parse_filter;
use crate::business_central::entities::{EntityDef, Field};
use crate::business_central::error::BcError;
use percent_encoding::percent_decode_str;

/// Largest `$top` accepted: BC's default server page size online.
pub(crate) const MAX_TOP: u32 = 20_000;

/// One `name=value` pair of the query string, decoded, with its raw text kept for `@odata.nextLink`.
#[derive(Debug, Clone)]
pub(crate) struct QueryPair {
    /// The decoded name.
    pub(crate) name: String,
    /// The decoded value.
    pub(crate) value: String,
    /// The pair as sent.
    pub(crate) raw: String,
}

/// Splits and decodes a raw query string (`+` is a space, as browsers and REST clients send it).
pub(crate) fn parse_query(raw: Option<&str>) -> Result<Vec<QueryPair>, BcError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            Ok(QueryPair { name: decode(name)?, value: decode(value)?, raw: piece.to_owned() })
        })
        .collect()
}

fn decode(text: &str) -> Result<String, BcError> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| BcError::QuerySyntax("Bad Request - Error in query syntax.".to_owned()))
}

/// The query options of a request, checked against one entity.
#[derive(Debug, Default)]
pub(crate) struct QueryOptions {
    /// `$filter`.
    pub(crate) filter: Option<Filter>,
    /// `$select` (`None`: every field).
    pub(crate) select: Option<Vec<&'static Field>>,
    /// `$orderby`: fields and whether descending.
    pub(crate) order_by: Vec<(&'static Field, bool)>,
    /// `$top`.
    pub(crate) top: Option<u32>,
    /// `$skip`.
    pub(crate) skip: u32,
    /// `$count=true`.
    pub(crate) count: bool,
    /// Offset carried by the server's `$skiptoken` (0 without one).
    pub(crate) page_offset: u32,
}

impl QueryOptions {
    /// Reads the options of `pairs` for `def`.
    pub(crate) fn parse(pairs: &[QueryPair], def: &EntityDef) -> Result<Self, BcError> {
        let mut options = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        for pair in pairs {
            let name = pair.name.as_str();
            if !name.starts_with('$') {
                continue;
            }
            if seen.contains(&name) {
                return Err(BcError::QuerySyntax(format!(
                    "Query option '{name}' was specified more than once, but it must be specified at most once."
                )));
            }
            seen.push(name);
            let value = pair.value.as_str();
            match name {
                "$filter" => options.filter = Some(check(parse_filter(value)?, def)?),
                "$select" => options.select = parse_select(value, def)?,
                "$orderby" => options.order_by = parse_order_by(value, def)?,
                "$top" => {
                    let top = parse_count_value("$top", value)?;
                    if top > MAX_TOP {
                        return Err(BcError::QueryOption(format!(
                            "The value of the $top query option must not exceed {MAX_TOP}."
                        )));
                    }
                    options.top = Some(top);
                }
                "$skip" => options.skip = parse_count_value("$skip", value)?,
                "$count" => {
                    options.count = match value {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(BcError::QuerySyntax(format!(
                                "'{value}' is not a valid count option."
                            )));
                        }
                    }
                }
                "$skiptoken" => options.page_offset = decode_skip_token(value)?,
                "$format" if matches!(value, "json" | "application/json") => {}
                "$schemaversion" => {}
                "$expand" | "$search" | "$apply" | "$compute" | "$levels" | "$index" | "$format" => {
                    return Err(BcError::QueryOption(format!(
                        "The query option '{name}' is not supported by this sample."
                    )));
                }
                _ => {
                    return Err(BcError::QuerySyntax(format!(
                        "The query parameter '{name}' is not supported."
                    )));
                }
            }
        }
        Ok(options)
    }
}

fn unknown_property(def: &EntityDef, name: &str) -> BcError {
    BcError::QuerySyntax(format!(
        "Could not find a property named '{name}' on type '{}'.",
        def.qualified_type()
    ))
}

/// `$select=a,b`; `*` selects everything.
fn parse_select(value: &str, def: &EntityDef) -> Result<Option<Vec<&'static Field>>, BcError> {
    let mut fields = Vec::new();
    for name in value.split(',').map(str::trim) {
        if name == "*" {
            return Ok(None);
        }
        if name.is_empty() {
            return Err(BcError::QuerySyntax(format!("Syntax error in $select: '{value}'.")));
        }
        let field = def.field(name).ok_or_else(|| unknown_property(def, name))?;
        if !fields.iter().any(|f: &&Field| f.name == field.name) {
            fields.push(field);
        }
    }
    Ok(Some(fields))
}

/// `$orderby=a desc,b`. A property may appear once (the OData library's rule), which also keeps
/// the SQL below SQLite's limit on ORDER BY terms.
fn parse_order_by(value: &str, def: &EntityDef) -> Result<Vec<(&'static Field, bool)>, BcError> {
    let mut order = Vec::new();
    for item in value.split(',') {
        let mut words = item.split_whitespace();
        let name = words
            .next()
            .ok_or_else(|| BcError::QuerySyntax(format!("Syntax error in $orderby: '{value}'.")))?;
        let descending = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(BcError::QuerySyntax(format!("Syntax error in $orderby: '{value}'."))),
        };
        if words.next().is_some() {
            return Err(BcError::QuerySyntax(format!("Syntax error in $orderby: '{value}'.")));
        }
        let field = def.field(name).ok_or_else(|| unknown_property(def, name))?;
        if order.iter().any(|(f, _): &(&Field, bool)| f.name == field.name) {
            return Err(BcError::QuerySyntax(format!(
                "Duplicate property named '{name}' is not supported in '$orderby'."
            )));
        }
        order.push((field, descending));
    }
    Ok(order)
}

/// A non-negative integer option value (`$top`, `$skip`).
fn parse_count_value(name: &str, value: &str) -> Result<u32, BcError> {
    value.parse::<u32>().map_err(|_| {
        BcError::QueryOption(format!(
            "Invalid value '{value}' for {name} query option found. The {name} query option requires a non-negative integer value."
        ))
    })
}
