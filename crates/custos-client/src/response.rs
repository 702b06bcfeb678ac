//! Reading answers: token responses of the v1 and v2 token endpoints and of both
//! managed-identity protocols (numbers or numeric strings, `expires_in` and/or `expires_on`,
//! `refresh_in`), and their error bodies (into [`ServerError`]).

use crate::error::ServerError;
use crate::token::AccessToken;
use custos_core::Secret;
use serde::Deserialize;
use std::time::Duration;

/// Largest answer read.
pub(crate) const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// A number, or a number in a string (v1 and managed-identity answers use strings).
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(i64),
    Float(f64),
    Text(String),
}

impl Seconds {
    fn value(&self) -> Option<i64> {
        match self {
            Self::Number(n) => Some(*n),
            #[allow(clippy::cast_possible_truncation)] // seconds, far inside i64
            Self::Float(f) if f.is_finite() => Some(*f as i64),
            Self::Float(_) => None,
            Self::Text(t) => t.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct Success {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<Seconds>,
    expires_on: Option<Seconds>,
    not_before: Option<Seconds>,
    refresh_in: Option<Seconds>,
    resource: Option<String>,
}

/// Why a success answer is not a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotAToken(pub(crate) String);

/// Reads a 2xx answer received at `now` (Unix seconds). The lifetime comes from `expires_in`
/// (relative, immune to clock skew) or else `expires_on`; an answer with neither is refused.
pub(crate) fn parse_token(body: &[u8], now: i64) -> Result<AccessToken, NotAToken> {
    let parsed: Success =
        serde_json::from_slice(body).map_err(|_| NotAToken("the body is not a JSON object".to_owned()))?;
    let access_token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| NotAToken("no access_token".to_owned()))?;
    let expires_in = parsed.expires_in.as_ref().and_then(Seconds::value);
    let expires_on = match (expires_in, parsed.expires_on.as_ref().and_then(Seconds::value)) {
        (Some(within), _) => now + within,
        (None, Some(on)) => on,
        (None, None) => return Err(NotAToken("neither expires_in nor expires_on".to_owned())),
    };
    let refresh_on = parsed.refresh_in.as_ref().and_then(Seconds::value).filter(|s| *s > 0).map(|s| now + s);
    Ok(AccessToken {
        secret: Secret::new(access_token),
        token_type: parsed.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        expires_on,
        not_before: parsed.not_before.as_ref().and_then(Seconds::value),
        refresh_on,
        resource: parsed.resource,
        obtained_at: now,
    })
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<serde_json::Value>,
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u32>,
    correlation_id: Option<String>,
    // App Service's shape.
    message: Option<String>,
    #[serde(rename = "correlationId")]
    correlation_id_camel: Option<String>,
}

/// Reads an error answer with `status` (any body: JSON of the three shapes, text, nothing).
pub(crate) fn parse_error(
    status: reqwest::StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
) -> ServerError {
    let reason = status.canonical_reason().unwrap_or("error").to_owned();
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let error = match parsed.error {
        Some(serde_json::Value::String(code)) if !code.is_empty() => code,
        // Graph-style `{"error":{"code":…}}` (some proxies answer so).
        Some(serde_json::Value::Object(inner)) => {
            inner.get("code").and_then(|c| c.as_str()).map_or_else(|| reason.clone(), str::to_owned)
        }
        _ => reason,
    };
    let description = parsed.error_description.or(parsed.message).unwrap_or_else(|| {
        if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
            String::new()
        } else {
            String::from_utf8_lossy(body).trim().chars().take(300).collect()
        }
    });
    let codes = if parsed.error_codes.is_empty() {
        aadsts_of(&description).into_iter().collect()
    } else {
        parsed.error_codes
    };
    ServerError {
        status: status.as_u16(),
        error,
        description,
        codes,
        correlation_id: parsed.correlation_id.or(parsed.correlation_id_camel),
        retry_after,
    }
}

/// The number of a description starting `AADSTS<digits>`.
fn aadsts_of(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn v2_answers_carry_numbers() {
        let body =
            br#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"a.b.c"}"#;
        let token = parse_token(body, 1_000).unwrap();
        assert_eq!(token.secret.expose(), "a.b.c");
        assert_eq!((token.expires_on, token.refresh_on, token.obtained_at), (4_599, None, 1_000));
    }

    #[test]
    fn v1_and_managed_identity_answers_carry_strings() {
        let v1 = br#"{"token_type":"Bearer","expires_in":"3599","expires_on":"9999","not_before":"700","resource":"https://manage.office.com","access_token":"t"}"#;
        let token = parse_token(v1, 1_000).unwrap();
        assert_eq!((token.expires_on, token.not_before), (4_599, Some(700)));
        assert_eq!(token.resource.as_deref(), Some("https://manage.office.com"));
        // App Service: only `expires_on`.
        let app_service = br#"{"access_token":"t","expires_on":"5000","resource":"r","token_type":"Bearer","client_id":"c"}"#;
        assert_eq!(parse_token(app_service, 1_000).unwrap().expires_on, 5_000);
        let with_refresh_in = br#"{"access_token":"t","expires_in":86399,"refresh_in":43199}"#;
        assert_eq!(parse_token(with_refresh_in, 1_000).unwrap().refresh_on, Some(44_199));
    }

    #[test]
    fn answers_without_a_token_or_lifetime_are_refused() {
        assert_eq!(
            parse_token(b"<html>", 0).unwrap_err(),
            NotAToken("the body is not a JSON object".to_owned())
        );
        assert_eq!(
            parse_token(br#"{"expires_in":5}"#, 0).unwrap_err(),
            NotAToken("no access_token".to_owned())
        );
        assert_eq!(
            parse_token(br#"{"access_token":"t"}"#, 0).unwrap_err(),
            NotAToken("neither expires_in nor expires_on".to_owned())
        );
    }

    #[test]
    fn entra_errors_keep_code_number_and_message() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2030-01-01 00:00:00Z","error_codes":[7000215],"correlation_id":"2"}"#;
        let error = parse_error(StatusCode::UNAUTHORIZED, body, None);
        assert_eq!(error.error, "invalid_client");
        assert_eq!(error.aadsts(), Some(7_000_215));
        assert_eq!(error.message(), "AADSTS7000215: Invalid client secret provided.");
        assert_eq!(error.correlation_id.as_deref(), Some("2"));
        assert_eq!(
            error.to_string(),
            "the server answered 401 invalid_client: AADSTS7000215: Invalid client secret provided."
        );
        let spaced = br#"{"error":"invalid_scope","error_description":"AADSTS1002012: Bad scope. Trace ID: 1 Correlation ID: 2"}"#;
        let error = parse_error(StatusCode::BAD_REQUEST, spaced, None);
        assert_eq!((error.aadsts(), error.message()), (Some(1_002_012), "AADSTS1002012: Bad scope."));
    }

    #[test]
    fn managed_identity_and_plain_errors_are_read() {
        let app_service =
            br#"{"statusCode":400,"message":"No managed identity found.","correlationId":"c-1"}"#;
        let error = parse_error(StatusCode::BAD_REQUEST, app_service, None);
        assert_eq!((error.error.as_str(), error.message()), ("Bad Request", "No managed identity found."));
        assert_eq!(error.correlation_id.as_deref(), Some("c-1"));
        let imds = br#"{"error":"invalid_resource","error_description":"AADSTS500011: not found"}"#;
        assert_eq!(parse_error(StatusCode::BAD_REQUEST, imds, None).aadsts(), Some(500_011));
        let plain = parse_error(StatusCode::BAD_GATEWAY, b"upstream down", Some(Duration::from_secs(3)));
        assert_eq!((plain.error.as_str(), plain.message()), ("Bad Gateway", "upstream down"));
        assert_eq!(plain.retry_after, Some(Duration::from_secs(3)));
        let empty = parse_error(StatusCode::SERVICE_UNAVAILABLE, b"", None);
        assert_eq!((empty.error.as_str(), empty.description.as_str()), ("Service Unavailable", ""));
    }
}
