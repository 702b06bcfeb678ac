//! `$filter` from text to typed filter: precedence, literals, typing against the customer
//! entity, BC's `or` rule, caps and hostile input.

use super::ast::{CompareOp, Expr, Literal, StringFunction};
use super::check::{Filter, OR_DISTINCT_FIELDS, check};
use super::parser::{MAX_DEPTH, MAX_FILTER_LENGTH, MAX_TERMS, parse_filter};
use crate::business_central::entities::codec::SqlValue;
use crate::business_central::entities::{CUSTOMERS, ITEMS};

fn compare(property: &str, op: CompareOp, value: Literal, position: usize) -> Expr {
    Expr::Compare { property: property.to_owned(), op, value, position }
}

fn typed(text: &str) -> Result<Filter, (String, String)> {
    parse_filter(text).and_then(|e| check(e, &CUSTOMERS)).map_err(|e| (e.code().to_owned(), e.to_string()))
}

#[test]
fn and_binds_tighter_than_or() {
    let expr = parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap();
    let Expr::Or(left, right) = expr else { panic!("not an or: {expr:?}") };
    assert_eq!(*left, compare("a", CompareOp::Eq, Literal::Integer(1), 0));
    assert!(matches!(*right, Expr::And(_, _)));
}

#[test]
fn parentheses_and_not_group() {
    let expr = parse_filter("not (a eq 1 or a eq 2) and b ne 'x'").unwrap();
    let Expr::And(left, _) = expr else { panic!("not an and") };
    let Expr::Not(inner) = *left else { panic!("not a not") };
    assert!(matches!(*inner, Expr::Or(_, _)));
}

#[test]
fn literal_on_the_left_flips_the_operator() {
    assert_eq!(
        parse_filter("5 lt creditLimit").unwrap(),
        compare("creditLimit", CompareOp::Gt, Literal::Integer(5), 0)
    );
}

#[test]
fn functions_take_a_property_and_a_string() {
    assert_eq!(
        parse_filter("startswith(displayName,'Ad')").unwrap(),
        Expr::Function {
            function: StringFunction::StartsWith,
            property: "displayName".to_owned(),
            value: Literal::String("Ad".to_owned()),
            position: 0,
        }
    );
    assert!(parse_filter("contains(displayName)").is_err());
    assert!(parse_filter("contains('x',displayName)").is_err());
}

#[test]
fn every_operator_parses() {
    for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
        let expr = parse_filter(&format!("creditLimit {op} 10")).unwrap();
        assert!(matches!(expr, Expr::Compare { op: o, .. } if o == CompareOp::from_word(op).unwrap()));
    }
}

#[test]
fn literals_are_typed_against_fields() {
    let id = "5d115c9c-44e3-ea11-bb43-000d3a2feca1";
    assert_eq!(
        typed(&format!("currencyId eq {id}")).unwrap(),
        Filter::Compare {
            field: CUSTOMERS.field("currencyId").unwrap(),
            op: CompareOp::Eq,
            value: SqlValue::Text(id.to_owned())
        }
    );
    assert!(typed(&format!("currencyId eq '{}'", id.to_uppercase())).is_ok(), "a quoted GUID is accepted");
    assert_eq!(
        typed("creditLimit gt 5").unwrap(),
        Filter::Compare {
            field: CUSTOMERS.field("creditLimit").unwrap(),
            op: CompareOp::Gt,
            value: SqlValue::Real(5.0)
        }
    );
    assert!(typed("taxLiable eq true").is_ok());
    assert!(typed("lastModifiedDateTime ge 2026-01-01T00:00:00Z").is_ok());
    assert!(typed("type eq 'Person' and blocked ne 'All'").is_ok());
    assert_eq!(
        typed("displayName eq null").unwrap(),
        Filter::IsNull { field: CUSTOMERS.field("displayName").unwrap(), negated: false }
    );
}

#[test]
fn type_mismatches_are_refused_in_odata_words() {
    assert_eq!(
        typed("displayName eq 5").unwrap_err(),
        (
            "BadRequest_NotFound".to_owned(),
            "A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int64' for operator kind 'Equal'.".to_owned()
        )
    );
    for bad in [
        "creditLimit eq 'ten'",
        "taxLiable eq 1",
        "taxLiable gt true",
        "currencyId eq 'not-a-guid'",
        "lastModifiedDateTime gt '2026-01-01'",
        "creditLimit gt null",
        "contains(creditLimit,'1')",
        "contains(displayName,1)",
    ] {
        assert_eq!(typed(bad).unwrap_err().0, "BadRequest_NotFound", "{bad}");
    }
}

#[test]
fn unknown_properties_are_refused() {
    assert_eq!(
        typed("nickname eq 'x'").unwrap_err(),
        (
            "BadRequest_NotFound".to_owned(),
            "Could not find a property named 'nickname' on type 'Microsoft.NAV.customer'.".to_owned()
        )
    );
    assert!(typed("DisplayName eq 'x'").is_err(), "property names are case-sensitive");
    assert!(parse_filter("unitPrice gt 1").and_then(|e| check(e, &ITEMS)).is_ok());
}

#[test]
fn or_across_distinct_fields_is_bcs_limitation() {
    assert!(typed("displayName eq 'a' or displayName eq 'b'").is_ok());
    assert!(typed("(city eq 'a' or city eq 'b') and creditLimit gt 0").is_ok());
    let expected = ("BadRequest_MethodNotImplemented".to_owned(), OR_DISTINCT_FIELDS.to_owned());
    assert_eq!(typed("displayName eq 'a' or city eq 'b'").unwrap_err(), expected);
    assert_eq!(typed("(city eq 'a' and creditLimit gt 0) or city eq 'b'").unwrap_err(), expected);
}

#[test]
fn syntax_errors_say_where() {
    let error = |text: &str| typed(text).unwrap_err();
    assert_eq!(error("displayName eq").1, "Expression expected at position 14 in 'displayName eq'.");
    assert_eq!(error("displayName 'x'").1, "Syntax error at position 12 in 'displayName 'x''.");
    assert_eq!(error("(city eq 'a'").1, "Expression expected at position 12 in '(city eq 'a''.");
    assert_eq!(error("city eq 'a')").1, "Syntax error at position 11 in 'city eq 'a')'.");
    assert_eq!(error("").1, "Expression expected at position 0 in ''.");
    assert_eq!(error("city eq 'a' and").0, "BadRequest_NotFound");
    assert_eq!(error("city eq city").0, "BadRequest_NotFound");
    assert_eq!(error("'a' eq 'b'").0, "BadRequest_NotFound");
}

#[test]
fn injection_attempts_are_refused_or_inert() {
    for hostile in [
        "displayName eq ''; DROP TABLE customers; --'",
        "displayName eq 'x' ; DROP TABLE customers",
        "displayName eq 'x' -- comment",
        "displayName eq 'x' /* */",
        "displayName eq 'x' union select * from companies",
        "displayName eq \"x\"",
        "1 eq 1",
        "\"displayName\" eq 'x'",
        "displayName eq 'unterminated",
    ] {
        let code = typed(hostile).unwrap_err().0;
        assert!(code.starts_with("BadRequest"), "{hostile}: {code}");
    }
    // Inside a proper literal, SQL is just text: it is bound, never spliced.
    assert_eq!(
        typed("displayName eq 'x''; DROP TABLE customers; --'").unwrap(),
        Filter::Compare {
            field: CUSTOMERS.field("displayName").unwrap(),
            op: CompareOp::Eq,
            value: SqlValue::Text("x'; DROP TABLE customers; --".to_owned())
        }
    );
}

#[test]
fn caps_on_length_depth_and_terms() {
    let long = format!("displayName eq '{}'", "x".repeat(MAX_FILTER_LENGTH));
    assert_eq!(typed(&long).unwrap_err().0, "BadRequest_InvalidRequestUrl");
    let deep = format!("{}city eq 'a'{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert_eq!(typed(&deep).unwrap_err().0, "BadRequest_InvalidRequestUrl");
    let ok = format!("{}city eq 'a'{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(typed(&ok).is_ok());
    let nots = format!("{}city eq 'a'", "not ".repeat(MAX_DEPTH + 1));
    assert_eq!(typed(&nots).unwrap_err().0, "BadRequest_InvalidRequestUrl");
    let many = vec!["city eq 'a'"; MAX_TERMS + 1].join(" and ");
    assert_eq!(typed(&many).unwrap_err().0, "BadRequest_InvalidRequestUrl");
    let bomb = "(".repeat(1500);
    assert_eq!(typed(&bomb).unwrap_err().0, "BadRequest_InvalidRequestUrl");
}
