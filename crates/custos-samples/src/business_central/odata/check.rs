//! Checks a parsed [`Expr`] against an entity's field table and types its literals: unknown
//! properties and type mismatches are 400s in the OData library's words, and an `or` whose sides
//! name distinct fields is refused with BC's message (BCDOCS `webservices/odata-known-limitations.md`),
//! with BC's code `BadRequest_MethodNotImplemented` (BC answers 501; custos 400, see `BcError`).

use super::ast::{CompareOp, Expr, Literal, StringFunction};
use crate::business_central::entities::codec::{SqlValue, format_guid, format_instant};
use crate::business_central::entities::{EntityDef, Field, FieldType};
use crate::business_central::error::BcError;
use uuid::Uuid;

/// BC's refusal of `or` across distinct fields (doc).
pub(crate) const OR_DISTINCT_FIELDS: &str =
    "The 'OR' operator is not supported on distinct fields on an OData filter.";

/// A filter whose fields exist and whose values have the fields' types.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    /// Both.
    And(Box<Self>, Box<Self>),
    /// Either (over one field only).
    Or(Box<Self>, Box<Self>),
    /// Not.
    Not(Box<Self>),
    /// `field op value`.
    Compare {
        /// The field.
        field: &'static Field,
        /// The operator.
        op: CompareOp,
        /// The value to bind.
        value: SqlValue,
    },
    /// `field eq null` (`negated`: `ne null`).
    IsNull {
        /// The field.
        field: &'static Field,
        /// `ne null`.
        negated: bool,
    },
    /// `contains`/`startswith`/`endswith`.
    Matches {
        /// The field.
        field: &'static Field,
        /// Which function.
        function: StringFunction,
        /// The text to look for (not yet escaped for LIKE).
        text: String,
    },
}

impl Filter {
    /// Adds the names of the fields this filter reads to `names`.
    fn field_names(&self, names: &mut Vec<&'static str>) {
        match self {
            Self::And(a, b) | Self::Or(a, b) => {
                a.field_names(names);
                b.field_names(names);
            }
            Self::Not(a) => a.field_names(names),
            Self::Compare { field, .. } | Self::IsNull { field, .. } | Self::Matches { field, .. } => {
                if !names.contains(&field.name) {
                    names.push(field.name);
                }
            }
        }
    }
}

/// Types `expr` against `def`.
pub(crate) fn check(expr: Expr, def: &EntityDef) -> Result<Filter, BcError> {
    Ok(match expr {
        Expr::And(a, b) => Filter::And(Box::new(check(*a, def)?), Box::new(check(*b, def)?)),
        Expr::Or(a, b) => {
            let filter = Filter::Or(Box::new(check(*a, def)?), Box::new(check(*b, def)?));
            let mut names = Vec::new();
            filter.field_names(&mut names);
            if names.len() > 1 {
                return Err(BcError::NotImplemented(OR_DISTINCT_FIELDS.to_owned()));
            }
            filter
        }
        Expr::Not(a) => Filter::Not(Box::new(check(*a, def)?)),
        Expr::Compare { property, op, value, .. } => {
            let field = lookup(def, &property)?;
            compare(field, op, value)?
        }
        Expr::Function { function, property, value, .. } => {
            let field = lookup(def, &property)?;
            match (field.ty, value) {
                (FieldType::Text(_) | FieldType::Enum(_), Literal::String(text)) => {
                    Filter::Matches { field, function, text }
                }
                _ => {
                    let name = match function {
                        StringFunction::Contains => "contains",
                        StringFunction::StartsWith => "startswith",
                        StringFunction::EndsWith => "endswith",
                    };
                    return Err(BcError::QuerySyntax(format!(
                        "No function signature for the function with name '{name}' matches the specified arguments. The function signatures considered are: {name}(Edm.String Nullable=true, Edm.String Nullable=true)."
                    )));
                }
            }
        }
    })
}

fn lookup(def: &EntityDef, property: &str) -> Result<&'static Field, BcError> {
    def.field(property).ok_or_else(|| {
        BcError::QuerySyntax(format!(
            "Could not find a property named '{property}' on type '{}'.",
            def.qualified_type()
        ))
    })
}

/// `field op value`, with the literal converted to the field's storage type.
fn compare(field: &'static Field, op: CompareOp, value: Literal) -> Result<Filter, BcError> {
    let mismatch = |value: &Literal| {
        BcError::QuerySyntax(format!(
            "A binary operator with incompatible types was detected. Found operand types '{}' and '{}' for operator kind '{}'.",
            field.ty.edm_name(),
            value.edm_name(),
            op.kind_name()
        ))
    };
    if value == Literal::Null {
        return match op {
            CompareOp::Eq => Ok(Filter::IsNull { field, negated: false }),
            CompareOp::Ne => Ok(Filter::IsNull { field, negated: true }),
            _ => Err(mismatch(&value)),
        };
    }
    let bound = match (field.ty, &value) {
        (FieldType::Text(_) | FieldType::Enum(_), Literal::String(s)) => SqlValue::Text(s.clone()),
        (FieldType::Guid, Literal::Guid(id)) => SqlValue::Text(format_guid(*id)),
        (FieldType::Guid, Literal::String(s)) => {
            SqlValue::Text(format_guid(Uuid::try_parse(s).map_err(|_| mismatch(&value))?))
        }
        (FieldType::Decimal | FieldType::Int64, Literal::Decimal(n)) => SqlValue::Real(*n),
        (FieldType::Decimal, Literal::Integer(n)) => SqlValue::Real(*n as f64),
        (FieldType::Int64, Literal::Integer(n)) => SqlValue::Integer(*n),
        (FieldType::Boolean, Literal::Boolean(b)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            SqlValue::Integer(i64::from(*b))
        }
        (FieldType::DateTime, Literal::DateTime(at)) => SqlValue::Text(format_instant(*at)),
        _ => return Err(mismatch(&value)),
    };
    Ok(Filter::Compare { field, op, value: bound })
}
