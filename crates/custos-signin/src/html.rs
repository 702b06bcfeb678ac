//! HTML output: escaping of every interpolated string (`security.md` F42) and the headers every
//! page carries (AS-16): `Content-Security-Policy: default-src 'self'; frame-ancestors 'none'`
//! (plus a `script-src` hash where a page has its one inline script), `X-Frame-Options: DENY`,
//! `Cache-Control: no-store`, `Referrer-Policy: no-referrer`. Pages load nothing from another
//! origin and need no JavaScript.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;

/// The policy of pages without script.
pub const CSP: &str = "default-src 'self'; frame-ancestors 'none'";

/// `text` with `& < > " '` replaced by character references: safe in element content and in
/// quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `<input type="hidden" name=… value=…>` with both escaped.
pub fn hidden(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, r#"<input type="hidden" name="{}" value="{}">"#, escape(name), escape(value));
}

/// A complete document: `title` (escaped) and `body` (already HTML).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\n<body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

/// The security headers every page and redirect carries; `script_hash` is the base64 SHA-256 of
/// the page's one inline script, if it has one.
pub fn secure_headers(response: &mut Response, script_hash: Option<&str>) {
    let csp = match script_hash {
        None => HeaderValue::from_static(CSP),
        Some(hash) => HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'sha256-{hash}'; frame-ancestors 'none'"
        ))
        .unwrap_or(HeaderValue::from_static(CSP)),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// An HTML response with the page headers.
pub fn page(status: StatusCode, html: String, script_hash: Option<&str>) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    secure_headers(&mut response, script_hash);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let mut out = String::new();
        hidden(&mut out, "ctx", r#""><img src=x>"#);
        assert_eq!(out, r#"<input type="hidden" name="ctx" value="&quot;&gt;&lt;img src=x&gt;">"#);
    }

    #[test]
    fn pages_carry_the_security_headers() {
        let response = page(StatusCode::OK, document("T<", "<p>x</p>"), None);
        let h = response.headers();
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'self'; frame-ancestors 'none'");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let scripted = page(StatusCode::OK, String::new(), Some("abc="));
        assert_eq!(
            scripted.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'; script-src 'sha256-abc='; frame-ancestors 'none'"
        );
    }
}
