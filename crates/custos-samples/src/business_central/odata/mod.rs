//! OData for the API v2.0 sample: a typed `$filter` (tokenizer [`lexer`], recursive-descent
//! [`parser`] into an [`ast`], typing against an entity in [`check`], bound-parameter SQL in
//! [`sql`]), the other query options ([`options`]), server-driven paging ([`paging`]) and keyed
//! path segments ([`segment`]).
//! The filter is untrusted input (security.md G43): it never becomes SQL text; values are bound
//! and column names come from the entity's static field table.

pub(crate) mod ast;
pub(crate) mod check;
pub(crate) mod lexer;
pub(crate) mod options;
pub(crate) mod paging;
pub(crate) mod parser;
pub(crate) mod segment;
pub(crate) mod sql;

#[cfg(test)]
mod parser_tests;
