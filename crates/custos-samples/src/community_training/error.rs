//! The sample's one error shape. Community Training is an ASP.NET Core application and its documented
//! validation message ("The searchTerm field is required.") is ASP.NET Core's model-validation text, so
//! every refusal the API itself makes (the guard's 401/403 come first and have no body) is an RFC 9457
//! problem document in ASP.NET Core's form: `type`, `title`, `status`, `traceId` and, for validation
//! failures, `errors` mapping a field (`$` for the body as a whole) to its messages. The exact texts are
//! custos' own (resource-apis.md §4.3: MCT documents no error bodies).

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Field name → messages, as in ASP.NET Core's `ValidationProblemDetails.errors`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Why the API refused a request (after the guard let it in) or could not answer it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a value is out of range (400).
    #[error("one or more validation errors occurred")]
    Validation(FieldErrors),
    /// The body is not `application/json` (415).
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than the API accepts (413).
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// The addressed entity does not exist (404); the text names the kind of entity.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The route exists but not with this method (405).
    #[error("the method is not allowed on this resource")]
    MethodNotAllowed,
    /// The write would break a uniqueness rule (409); the text says which.
    #[error("{0}")]
    Conflict(String),
    /// The database failed; logged, never shown to the caller (500).
    #[error("storage error: {0}")]
    Storage(#[from] sqlx::Error),
    /// The authority refused a refresh token (400); its OAuth `error` and AADSTS codes are passed on.
    #[error("the authority refused the refresh token: {error}: {description}")]
    TokenRefused {
        /// `error` (`invalid_grant`, ...).
        error: String,
        /// `error_description`.
        description: String,
        /// `error_codes`.
        codes: Vec<u32>,
    },
    /// The authority could not be used: unreachable, a malformed answer, or it refused the sample's
    /// own credentials (502; the text is logged, not shown).
    #[error("the authority could not be used: {0}")]
    Upstream(String),
}

impl ApiError {
    /// A 400 with one message for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(field.to_owned(), vec![message.into()])]))
    }

    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TokenRefused { .. } => StatusCode::BAD_REQUEST,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }
}

/// The RFC 9457 problem document (ASP.NET Core's `ProblemDetails` member names).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI reference naming the kind of problem (the RFC 9110 section of the status).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, when more can be said than the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Validation failures by field (`$` is the body as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
    /// The authority's OAuth error, when it refused a refresh token (custos' extension member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The authority's AADSTS codes with [`error`](Self::error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_codes: Option<Vec<u32>>,
    /// Correlates the response with the sample's log.
    pub trace_id: String,
}

fn rfc9110_section(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        502 => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    }
}

impl ApiError {
    /// The problem document for this error, with a fresh trace id.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (title, detail, errors) = match self {
            Self::Validation(errors) => {
                ("One or more validation errors occurred.".to_owned(), None, Some(errors.clone()))
            }
            Self::Storage(_) => ("An error occurred while processing your request.".to_owned(), None, None),
            Self::NotFound(_) => ("Not Found".to_owned(), Some(self.to_string()), None),
            Self::Conflict(_) => ("Conflict".to_owned(), Some(self.to_string()), None),
            Self::MethodNotAllowed => ("Method Not Allowed".to_owned(), Some(self.to_string()), None),
            Self::UnsupportedMediaType => ("Unsupported Media Type".to_owned(), Some(self.to_string()), None),
            Self::PayloadTooLarge => ("Payload Too Large".to_owned(), Some(self.to_string()), None),
            Self::TokenRefused { description, .. } => {
                ("The refresh token was refused.".to_owned(), Some(description.clone()), None)
            }
            Self::Upstream(_) => (
                "Bad Gateway".to_owned(),
                Some("The identity provider could not complete the request.".to_owned()),
                None,
            ),
        };
        let (error, error_codes) = match self {
            Self::TokenRefused { error, codes, .. } => (Some(error.clone()), Some(codes.clone())),
            _ => (None, None),
        };
        Problem {
            kind: rfc9110_section(status),
            title,
            status: status.as_u16(),
            detail,
            errors,
            error,
            error_codes,
            trace_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        match &self {
            Self::Storage(error) => {
                tracing::error!(trace_id = %problem.trace_id, %error, "community-training storage failure");
            }
            Self::Upstream(error) => {
                tracing::warn!(trace_id = %problem.trace_id, %error, "community-training: the authority failed");
            }
            other => tracing::info!(trace_id = %problem.trace_id, status = problem.status, reason = %other,
                "community-training request refused"),
        }
        let mut response = (self.status(), Json(problem)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_fields() {
        let problem = ApiError::field("searchTerm", "The searchTerm field is required.").problem();
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "https://tools.ietf.org/html/rfc9110#section-15.5.1");
        assert_eq!(json["title"], "One or more validation errors occurred.");
        assert_eq!(json["status"], 400);
        assert_eq!(json["errors"]["searchTerm"][0], "The searchTerm field is required.");
        assert!(json.get("detail").is_none());
        assert_eq!(json["traceId"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn statuses() {
        assert_eq!(ApiError::NotFound("organization").status(), StatusCode::NOT_FOUND);
        assert_eq!(
            ApiError::NotFound("organization").problem().detail.as_deref(),
            Some("organization not found")
        );
        assert_eq!(ApiError::UnsupportedMediaType.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(ApiError::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(ApiError::Conflict("x".into()).status(), StatusCode::CONFLICT);
    }
}
