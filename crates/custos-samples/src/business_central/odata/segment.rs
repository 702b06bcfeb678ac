//! OData resource-path segments with a key in parentheses (`companies(<id>)`), as both APIs'
//! path parsers read them: the split into name and key text is shared; what a key may look like
//! (`id=<guid>`, `'<guid>'`) and the error for a bad one stay with each API.

/// A segment whose `(` has no closing `)` (the name before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unclosed<'a>(pub(crate) &'a str);

/// `customers(abc)` → (`customers`, Some(`abc`)); `customers` → (`customers`, None);
/// `customers(abc` → [`Unclosed`].
pub(crate) fn split(segment: &str) -> Result<(&str, Option<&str>), Unclosed<'_>> {
    match segment.split_once('(') {
        Some((name, key)) => key.strip_suffix(')').map(|key| (name, Some(key))).ok_or(Unclosed(name)),
        None => Ok((segment, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keys_and_unclosed_keys() {
        assert_eq!(split("customers"), Ok(("customers", None)));
        assert_eq!(split("customers(abc)"), Ok(("customers", Some("abc"))));
        assert_eq!(split("customers()"), Ok(("customers", Some(""))));
        assert_eq!(split("customers(abc"), Err(Unclosed("customers")));
    }
}
