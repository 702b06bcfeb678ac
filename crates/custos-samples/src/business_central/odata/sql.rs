//! A checked [`Filter`] as a SQL condition. Values are always bound parameters; column names come
//! only from the entity's static field table and are quoted.

use super::ast::StringFunction;
use super::check::Filter;
use crate::business_central::entities::codec::SqlValue;
use sqlx::{QueryBuilder, Sqlite};

/// Appends `value` as a bound parameter.
pub(crate) fn push_value(builder: &mut QueryBuilder<'_, Sqlite>, value: SqlValue) {
    match value {
        SqlValue::Text(text) => builder.push_bind(text),
        SqlValue::Real(number) => builder.push_bind(number),
        SqlValue::Integer(number) => builder.push_bind(number),
    };
}

/// Appends the condition for `filter`, parenthesised.
pub(crate) fn push_filter(builder: &mut QueryBuilder<'_, Sqlite>, filter: Filter) {
    builder.push("(");
    match filter {
        Filter::And(a, b) => {
            push_filter(builder, *a);
            builder.push(" AND ");
            push_filter(builder, *b);
        }
        Filter::Or(a, b) => {
            push_filter(builder, *a);
            builder.push(" OR ");
            push_filter(builder, *b);
        }
        Filter::Not(a) => {
            builder.push("NOT ");
            push_filter(builder, *a);
        }
        Filter::Compare { field, op, value } => {
            builder.push(format_args!("\"{}\" {} ", field.name, op.sql()));
            push_value(builder, value);
        }
        Filter::IsNull { field, negated } => {
            builder.push(format_args!("\"{}\" IS {}NULL", field.name, if negated { "NOT " } else { "" }));
        }
        Filter::Matches { field, function, text } => {
            let escaped = escape_like(&text);
            let pattern = match function {
                StringFunction::Contains => format!("%{escaped}%"),
                StringFunction::StartsWith => format!("{escaped}%"),
                StringFunction::EndsWith => format!("%{escaped}"),
            };
            builder.push(format_args!("\"{}\" LIKE ", field.name));
            builder.push_bind(pattern);
            builder.push(" ESCAPE '\\'");
        }
    }
    builder.push(")");
}

/// `text` with LIKE's wildcards and the escape character escaped.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
