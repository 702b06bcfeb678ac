//! Request-path normalisation: the one canonical form of a path that the gateway both matches routes
//! on and forwards, so that a route check and the upstream can never disagree about which resource is
//! meant (`security.md` §5, catalogue I48).
//!
//! Percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`, so `%2e` too) are decoded, other
//! escapes are kept with upper-case hex; `.` and `..` segments are resolved (RFC 3986 §5.2.4) and empty
//! segments (`//`) collapsed. Anything an upstream might read differently is refused rather than
//! guessed at: `..` above the root, `;` path parameters (literal or `%3B`), encoded `/` or `\`,
//! backslashes, NUL and other control characters, double encoding (`%25`), malformed escapes, and
//! segments ending in `.` (which Windows servers strip).

/// Why a request path was refused (answered with 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path does not start with `/`.
    #[error("the path must start with '/'")]
    NotAbsolute,
    /// A `%` not followed by two hex digits, or a non-ASCII byte.
    #[error("the path has a malformed percent-escape")]
    MalformedEscape,
    /// `%2F` or `%5C`: an encoded separator.
    #[error("the path has an encoded '/' or '\\'")]
    EncodedSeparator,
    /// `\` in the path.
    #[error("the path has a backslash")]
    Backslash,
    /// NUL or another control character, literal or encoded.
    #[error("the path has a control character")]
    ControlCharacter,
    /// `;` (literal or `%3B`): path parameters are not supported.
    #[error("the path has a ';' parameter")]
    PathParameter,
    /// `%25`: a percent-encoded percent sign (double encoding).
    #[error("the path is double-encoded")]
    DoubleEncoding,
    /// `..` would climb above the root.
    #[error("the path climbs above the root")]
    EscapesRoot,
    /// A segment ends with `.` (other than `.` and `..`).
    #[error("a path segment ends with '.'")]
    TrailingDot,
}

/// Returns the canonical form of `raw` (the path of a request target, without the query).
pub fn normalize(raw: &str) -> Result<String, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let decoded = decode_unreserved(raw)?;
    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in decoded.split('/').skip(1) {
        trailing_slash = true;
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::EscapesRoot);
                }
            }
            _ if segment.ends_with('.') => return Err(PathError::TrailingDot),
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || segments.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Decodes escapes of unreserved characters, upper-cases the others, and refuses dangerous bytes.
fn decode_unreserved(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let value = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or(PathError::MalformedEscape)?;
            match value {
                b'/' | b'\\' => return Err(PathError::EncodedSeparator),
                b';' => return Err(PathError::PathParameter),
                b'%' => return Err(PathError::DoubleEncoding),
                v if v < 0x20 || v == 0x7f => return Err(PathError::ControlCharacter),
                v if is_unreserved(v) => out.push(char::from(v)),
                v => {
                    out.push('%');
                    out.push_str(&format!("{v:02X}"));
                }
            }
            i += 3;
            continue;
        }
        match byte {
            b'\\' => return Err(PathError::Backslash),
            b';' => return Err(PathError::PathParameter),
            b if b < 0x20 || b == 0x7f => return Err(PathError::ControlCharacter),
            b if !b.is_ascii() => return Err(PathError::MalformedEscape),
            b => out.push(char::from(b)),
        }
        i += 1;
    }
    Ok(out)
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        for (raw, expected) in [
            ("/", "/"),
            ("/api/x", "/api/x"),
            ("/api/x/", "/api/x/"),
            ("//admin", "/admin"),
            ("/api//x///y", "/api/x/y"),
            ("/api/../admin", "/admin"),
            ("/api/%2e%2e/admin", "/admin"),
            ("/api/%2E%2e/admin", "/admin"),
            ("/api/./x", "/api/x"),
            ("/api/x/..", "/api/"),
            ("/api/x/.", "/api/x/"),
            ("/a/b/../../c", "/c"),
            ("/%61pi/%7Euser", "/api/~user"),
            ("/api/a%20b%c3%a9", "/api/a%20b%C3%A9"),
            ("/api/x:y@z", "/api/x:y@z"),
            ("/API/", "/API/"),
        ] {
            assert_eq!(normalize(raw), Ok(expected.to_owned()), "{raw}");
        }
    }

    #[test]
    fn refusals() {
        for (raw, error) in [
            ("api", PathError::NotAbsolute),
            ("", PathError::NotAbsolute),
            ("*", PathError::NotAbsolute),
            ("/..", PathError::EscapesRoot),
            ("/api/../../admin", PathError::EscapesRoot),
            ("/%2e%2e/admin", PathError::EscapesRoot),
            ("/api;x=1/../admin", PathError::PathParameter),
            ("/api/x;jsessionid=1", PathError::PathParameter),
            ("/api/x%3bjsessionid=1", PathError::PathParameter),
            ("/api%2f..%2fadmin", PathError::EncodedSeparator),
            ("/api%5C..%5Cadmin", PathError::EncodedSeparator),
            ("/api\\..\\admin", PathError::Backslash),
            ("/api/%00", PathError::ControlCharacter),
            ("/api/%0d%0a", PathError::ControlCharacter),
            ("/api/%7f", PathError::ControlCharacter),
            ("/api/%252e%252e/admin", PathError::DoubleEncoding),
            ("/api/%2", PathError::MalformedEscape),
            ("/api/%zz", PathError::MalformedEscape),
            ("/api/%+1", PathError::MalformedEscape),
            ("/admin.", PathError::TrailingDot),
            ("/api./x", PathError::TrailingDot),
            ("/api/...", PathError::TrailingDot),
            ("/api/x%2E", PathError::TrailingDot),
        ] {
            assert_eq!(normalize(raw), Err(error), "{raw}");
        }
    }

    #[test]
    fn idempotent() {
        for raw in ["/a/./b/../c//d/", "/%7e/%41%42", "/x/a%2Cb"] {
            let once = normalize(raw).unwrap();
            assert_eq!(normalize(&once).unwrap(), once, "{raw}");
        }
    }
}
