//! The few HTML pages of the sign-in: the landing page the callback sends the browser to, and the
//! error pages of a sign-in that cannot finish. No script, no style from elsewhere, not frameable,
//! never cached, no `Referer` leaves them (the landing page's address carries the tokens).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `Content-Security-Policy` of every page.
pub const PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// A page with `status`, a heading and one paragraph (both escaped).
pub fn page(status: StatusCode, heading: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{h}</title></head>\
         <body><h1>{h}</h1><p>{m}</p></body></html>\n",
        h = escape(heading),
        m = escape(message)
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    no_store(headers);
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `Cache-Control: no-store` and `Referrer-Policy: no-referrer`: for every answer that carries or
/// leads to tokens.
pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// `GET /ExternalAuthentication/Complete`: where a successful sign-in lands. The tokens are in the
/// address's fragment, which the browser never sends to a server.
pub async fn complete() -> Response {
    page(
        StatusCode::OK,
        "Signed in",
        "Your AccessToken and RefreshToken are in this page's address, after '#'. Call the API with \
         'Authorization: Bearer <AccessToken>'; when it expires, POST {\"RefreshToken\":\"...\"} to \
         /api/v1/ExternalAuthToken/RefreshToken/AZUREAD for a new pair.",
    )
}

/// Escapes text for HTML element content and attribute values.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
    }
}
