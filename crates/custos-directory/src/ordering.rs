//! `$orderby` on directory collections (`graph-fidelity.md` §2.3): `prop [asc|desc]`, several
//! separated by commas, each naming a property the collection lets be sorted. Sorting is stable
//! over the collection's own order, so paging through a sorted list is deterministic; strings
//! compare case-insensitively, and missing or null values come first (last when descending).

use crate::error::GraphError;
use serde_json::Value;
use std::cmp::Ordering;

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortKey {
    /// The property, as the collection spells it.
    pub(crate) property: &'static str,
    /// `desc`.
    pub(crate) descending: bool,
}

pub(crate) fn unsupported_sort() -> GraphError {
    GraphError::UnsupportedQuery("Sorting not supported for current query.".to_owned())
}

/// Parses `$orderby` against the entity's `properties` (what exists) and `orderable` (what
/// sorts): an unknown property is Graph's "does not exist" error, a known one that does not sort
/// "Sorting not supported for current query.".
pub(crate) fn parse(
    value: &str,
    properties: &[&'static str],
    orderable: &[&'static str],
) -> Result<Vec<SortKey>, GraphError> {
    value
        .split(',')
        .map(|clause| {
            let mut words = clause.split(' ').filter(|w| !w.is_empty());
            let name = words.next().unwrap_or_default();
            let descending = match words.next() {
                None => false,
                Some(d) if d.eq_ignore_ascii_case("asc") => false,
                Some(d) if d.eq_ignore_ascii_case("desc") => true,
                Some(_) => {
                    return Err(GraphError::Malformed(format!(
                        "Syntax error at position {} in '{value}'.",
                        name.len()
                    )));
                }
            };
            if words.next().is_some() {
                return Err(GraphError::Malformed(format!("Syntax error in '{value}'.")));
            }
            let property = properties.iter().copied().find(|p| *p == name).ok_or_else(|| {
                GraphError::UnsupportedQuery(format!(
                    "Property '{name}' does not exist as a declared property or extension property."
                ))
            })?;
            if !orderable.contains(&property) {
                return Err(unsupported_sort());
            }
            Ok(SortKey { property, descending })
        })
        .collect()
}

/// Sorts rendered objects by `keys` (stable).
pub(crate) fn sort(items: &mut [Value], keys: &[SortKey]) {
    items.sort_by(|a, b| {
        keys.iter()
            .map(|key| {
                let order = compare(a.get(key.property), b.get(key.property));
                if key.descending { order.reverse() } else { order }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let rank = |v: Option<&Value>| match v {
        None | Some(Value::Null) => 0,
        Some(_) => 1,
    };
    match (a, b) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Some(Value::Number(a)), Some(Value::Number(b))) => {
            a.as_f64().partial_cmp(&b.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Some(Value::Bool(a)), Some(Value::Bool(b))) => a.cmp(b),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PROPS: &[&str] = &["id", "displayName", "createdDateTime"];
    const ORDERABLE: &[&str] = &["displayName", "createdDateTime"];

    #[test]
    fn keys_parse_and_sort() {
        let keys = parse("displayName desc,createdDateTime", PROPS, ORDERABLE).unwrap();
        let mut items = vec![
            json!({"displayName": "b", "createdDateTime": "2026-01-02T00:00:00Z"}),
            json!({"displayName": "A", "createdDateTime": "2026-01-01T00:00:00Z"}),
            json!({"displayName": "B", "createdDateTime": "2026-01-01T00:00:00Z"}),
            json!({"displayName": null}),
        ];
        sort(&mut items, &keys);
        let names: Vec<&Value> = items.iter().map(|i| &i["displayName"]).collect();
        assert_eq!(names, [&json!("B"), &json!("b"), &json!("A"), &Value::Null]);
    }

    #[test]
    fn unknown_and_unsortable_properties_are_refused() {
        assert_eq!(parse("id", PROPS, ORDERABLE), Err(unsupported_sort()));
        assert_eq!(
            parse("nope", PROPS, ORDERABLE),
            Err(GraphError::UnsupportedQuery(
                "Property 'nope' does not exist as a declared property or extension property.".into()
            ))
        );
        assert!(matches!(parse("displayName sideways", PROPS, ORDERABLE), Err(GraphError::Malformed(_))));
    }
}
