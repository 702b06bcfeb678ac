//! Fuzzing entry point, not API: the body of the `bc_odata` fuzz target (`fuzz/`), which the
//! stable corpus replay (`crates/custos-fuzzing`) runs too. The OData parser stays private; this
//! is the one narrow door to it.

use super::entities::{ALL, EntityDef};
use super::odata::options::{QueryOptions, parse_query};
use super::odata::parser::parse_filter;
use super::odata::{check::check, segment, sql::push_filter};
use sqlx::{QueryBuilder, Sqlite};

/// The one fragment of SQL text that holds a quote: the escape clause of `LIKE`.
const LIKE_ESCAPE: &str = " ESCAPE '\\'";

/// Reads `data` (when UTF-8) as the query string of a request on each entity set (every system
/// query option, the `$filter` typed against the entity and turned into SQL), as a bare `$filter`
/// and as keyed path segments. Asserts what must hold: no panic, and the SQL a filter becomes
/// carries no value as text (G43: every literal is a bound parameter, so the only quotes are
/// `LIKE`'s escape clause and there is no `;`).
///
/// # Panics
///
/// When that invariant does not hold: that is the finding.
pub fn bc_odata(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(pairs) = parse_query(Some(text)) {
        for def in ALL {
            if let Ok(QueryOptions { filter: Some(filter), .. }) = QueryOptions::parse(&pairs, def) {
                assert_bound(text, def, filter);
            }
        }
    }
    if let Ok(expr) = parse_filter(text) {
        for def in ALL {
            if let Ok(filter) = check(expr.clone(), def) {
                assert_bound(text, def, filter);
            }
        }
    }
    for piece in text.split('/') {
        if let Ok((name, Some(key))) = segment::split(piece) {
            assert_eq!(format!("{name}({key})"), piece);
        }
    }
}

fn assert_bound(input: &str, def: &EntityDef, filter: super::odata::check::Filter) {
    let mut builder = QueryBuilder::<Sqlite>::new(format!("SELECT 1 FROM \"{}\" WHERE ", def.set));
    push_filter(&mut builder, filter);
    let sql = builder.sql().replace(LIKE_ESCAPE, "");
    assert!(!sql.contains('\'') && !sql.contains(';'), "{input:?} became {sql:?}");
}
