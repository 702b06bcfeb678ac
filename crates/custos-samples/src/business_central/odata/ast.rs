//! The parsed `$filter`, before its names are checked against an entity ([`super::check`]).

use time::OffsetDateTime;
use uuid::Uuid;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    /// The operator spelled `word`, if any.
    pub(crate) fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    /// The same comparison with its operands swapped (`5 lt x` is `x gt 5`).
    pub(crate) fn flipped(self) -> Self {
        match self {
            Self::Eq => Self::Eq,
            Self::Ne => Self::Ne,
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
        }
    }

    /// The OData library's name, for type-mismatch messages.
    pub(crate) fn kind_name(self) -> &'static str {
        match self {
            Self::Eq => "Equal",
            Self::Ne => "NotEqual",
            Self::Gt => "GreaterThan",
            Self::Ge => "GreaterThanOrEqual",
            Self::Lt => "LessThan",
            Self::Le => "LessThanOrEqual",
        }
    }

    /// The SQL operator.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
        }
    }
}

/// A string function BC supports on text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringFunction {
    /// `contains(field,'x')`
    Contains,
    /// `startswith(field,'x')`
    StartsWith,
    /// `endswith(field,'x')`
    EndsWith,
}

impl StringFunction {
    /// The function spelled `word`, if any.
    pub(crate) fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "contains" => Self::Contains,
            "startswith" => Self::StartsWith,
            "endswith" => Self::EndsWith,
            _ => return None,
        })
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    /// `'text'`
    String(String),
    /// `42`
    Integer(i64),
    /// `4.2`
    Decimal(f64),
    /// `true`
    Boolean(bool),
    /// `null`
    Null,
    /// An unquoted GUID.
    Guid(Uuid),
    /// An unquoted instant.
    DateTime(OffsetDateTime),
}

impl Literal {
    /// The EDM type name the OData library reports for the literal.
    pub(crate) fn edm_name(&self) -> &'static str {
        match self {
            Self::String(_) => "Edm.String",
            Self::Integer(_) => "Edm.Int64",
            Self::Decimal(_) => "Edm.Decimal",
            Self::Boolean(_) => "Edm.Boolean",
            Self::Null => "<null>",
            Self::Guid(_) => "Edm.Guid",
            Self::DateTime(_) => "Edm.DateTimeOffset",
        }
    }
}

/// A boolean expression over property names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a and b`
    And(Box<Self>, Box<Self>),
    /// `a or b`
    Or(Box<Self>, Box<Self>),
    /// `not a`
    Not(Box<Self>),
    /// `property op literal` (a literal on the left is moved right, flipping the operator).
    Compare {
        /// Property name as written.
        property: String,
        /// Operator.
        op: CompareOp,
        /// Right-hand literal.
        value: Literal,
        /// Where the comparison starts, for messages.
        position: usize,
    },
    /// `function(property,'text')`
    Function {
        /// Which function.
        function: StringFunction,
        /// Property name as written.
        property: String,
        /// The string argument.
        value: Literal,
        /// Where the call starts, for messages.
        position: usize,
    },
}
