//! The Activity API's one error shape, `{"error":{"code":"AFnnnnn","message":"…"}}`, with the codes,
//! texts and statuses of `audit-and-activity.md` §3.6: AF10001 is a 401, AF429 a 403, AF50000 a 500,
//! every other AF code a 400. Rendered here and nowhere else.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `Start time and end time must …` (AF20055, the code live rejections carry).
pub const WINDOW_MESSAGE: &str = "Start time and end time must both be specified (or both omitted) and must be \
less than or equal to 24 hours apart, with the start time no more than 7 days in the past and with the start \
time prior to end time.";

/// Why the Activity API refused a request (after the bearer token itself was accepted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AfError {
    /// AF10001: the token lacks the permission (`roles`/`scp` as sent, space-joined).
    #[error("AF10001 permission missing")]
    PermissionMissing { sent: String, expected: &'static str },
    /// AF20001: a required query parameter is missing.
    #[error("AF20001 missing parameter {0}")]
    MissingParameter(&'static str),
    /// AF20002: a parameter has the wrong type.
    #[error("AF20002 invalid parameter type {name}")]
    InvalidParameterType { name: &'static str, expected: &'static str },
    /// AF20003: the webhook expiration is in the past.
    #[error("AF20003 expiration in the past")]
    ExpirationInPast(String),
    /// AF20010: the URL's tenant is not the token's.
    #[error("AF20010 tenant mismatch")]
    TenantMismatch { url: String, token: String },
    /// AF20013: the URL's tenant is not a GUID.
    #[error("AF20013 tenant id not a GUID")]
    TenantNotGuid(String),
    /// AF20020: unknown content type.
    #[error("AF20020 invalid content type")]
    InvalidContentType,
    /// AF20021: the webhook could not be validated; the detail says why.
    #[error("AF20021 webhook validation failed")]
    WebhookValidation { address: String, detail: String },
    /// AF20022: no subscription for the content type.
    #[error("AF20022 no subscription")]
    NoSubscription,
    /// AF20023: the subscription is disabled.
    #[error("AF20023 subscription disabled")]
    SubscriptionDisabled,
    /// AF20024: re-start of an enabled subscription with no change.
    #[error("AF20024 already enabled")]
    AlreadyEnabled,
    /// AF20055: the time window breaks the rules.
    #[error("AF20055 invalid window")]
    InvalidWindow,
    /// AF20031: the `nextPage` value is not one the API issued.
    #[error("AF20031 invalid nextPage")]
    InvalidNextPage(String),
    /// AF20050: no such content blob.
    #[error("AF20050 content does not exist")]
    ContentNotFound(String),
    /// AF20051: the blob has expired.
    #[error("AF20051 content expired")]
    ContentExpired(String),
    /// AF20052: the content id is malformed.
    #[error("AF20052 invalid content id")]
    InvalidContentId(String),
    /// AF20053: more than one language in `Accept-Language`.
    #[error("AF20053 several languages")]
    SeveralLanguages,
    /// AF20054: `Accept-Language` does not parse.
    #[error("AF20054 invalid Accept-Language")]
    InvalidLanguage,
    /// AF429: the tenant's request budget is spent.
    #[error("AF429 too many requests")]
    Throttled { method: &'static str, publisher: String },
    /// AF50000: the sample failed (storage); logged, the caller gets the documented text.
    #[error("AF50000 internal error: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for AfError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.to_string())
    }
}

impl AfError {
    /// The AF code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PermissionMissing { .. } => "AF10001",
            Self::MissingParameter(_) => "AF20001",
            Self::InvalidParameterType { .. } => "AF20002",
            Self::ExpirationInPast(_) => "AF20003",
            Self::TenantMismatch { .. } => "AF20010",
            Self::TenantNotGuid(_) => "AF20013",
            Self::InvalidContentType => "AF20020",
            Self::WebhookValidation { .. } => "AF20021",
            Self::NoSubscription => "AF20022",
            Self::SubscriptionDisabled => "AF20023",
            Self::AlreadyEnabled => "AF20024",
            Self::InvalidNextPage(_) => "AF20031",
            Self::ContentNotFound(_) => "AF20050",
            Self::ContentExpired(_) => "AF20051",
            Self::InvalidContentId(_) => "AF20052",
            Self::SeveralLanguages => "AF20053",
            Self::InvalidLanguage => "AF20054",
            Self::InvalidWindow => "AF20055",
            Self::Throttled { .. } => "AF429",
            Self::Internal(_) => "AF50000",
        }
    }

    /// The documented message, placeholders filled in.
    pub fn message(&self) -> String {
        match self {
            Self::PermissionMissing { sent, expected } => format!(
                "The permission set ({sent}) sent in the request did not include the expected permission {expected}."
            ),
            Self::MissingParameter(name) => format!("Missing parameter: {name}."),
            Self::InvalidParameterType { name, expected } => {
                format!("Invalid parameter type: {name}. Expected type: {expected}")
            }
            Self::ExpirationInPast(value) => {
                format!("Expiration {value} provided is set to past date and time.")
            }
            Self::TenantMismatch { url, token } => format!(
                "The tenant ID passed in the URL ({url}) does not match the tenant ID passed in the access token ({token})."
            ),
            Self::TenantNotGuid(tenant) => {
                format!("The tenant ID passed in the URL ({tenant}) is not a valid GUID.")
            }
            Self::InvalidContentType => "The specified content type is not valid.".to_owned(),
            Self::WebhookValidation { address, detail } => {
                format!("The webhook endpoint {address} could not be validated. {detail}")
            }
            Self::NoSubscription => "No subscription found for the specified content type.".to_owned(),
            Self::SubscriptionDisabled => "The subscription was disabled by a tenant admin.".to_owned(),
            Self::AlreadyEnabled => "The subscription is already enabled. No property change.".to_owned(),
            Self::InvalidWindow => WINDOW_MESSAGE.to_owned(),
            Self::InvalidNextPage(value) => format!("Invalid nextPage Input: {value}."),
            Self::ContentNotFound(id) => format!("The specified content ({id}) does not exist."),
            Self::ContentExpired(id) => format!(
                "Content requested with the key {id} has already expired. Content older than 7 days cannot be retrieved."
            ),
            Self::InvalidContentId(id) => format!("Content ID {id} in the URL is invalid."),
            Self::SeveralLanguages => {
                "Only one language may be present in the Accept-Language header.".to_owned()
            }
            Self::InvalidLanguage => "Invalid syntax in Accept-Language header.".to_owned(),
            Self::Throttled { method, publisher } => {
                format!("Too many requests. Method={method}, PublisherId={publisher}")
            }
            Self::Internal(_) => "An internal error occurred. Retry the request.".to_owned(),
        }
    }

    /// The HTTP status (§3.6).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::PermissionMissing { .. } => StatusCode::UNAUTHORIZED,
            Self::Throttled { .. } => StatusCode::FORBIDDEN,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for AfError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "activity API request failed");
        }
        let body = json!({"error": {"code": self.code(), "message": self.message()}});
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_observed_codes() {
        let missing = AfError::PermissionMissing { sent: String::new(), expected: "ActivityFeed.Read" };
        assert_eq!((missing.status(), missing.code()), (StatusCode::UNAUTHORIZED, "AF10001"));
        assert_eq!(
            missing.message(),
            "The permission set () sent in the request did not include the expected permission ActivityFeed.Read."
        );
        let throttled = AfError::Throttled { method: "GetBlob", publisher: "x".into() };
        assert_eq!(throttled.status(), StatusCode::FORBIDDEN);
        assert_eq!(throttled.message(), "Too many requests. Method=GetBlob, PublisherId=x");
        assert_eq!(AfError::Internal("db".into()).status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(AfError::AlreadyEnabled.status(), StatusCode::BAD_REQUEST);
    }
}
