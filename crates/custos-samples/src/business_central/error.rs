//! Business Central's error body and the one place that maps a refusal to an HTTP response:
//! `{"error":{"code":"<Category_Reason>","message":"<text>  CorrelationId:  <guid>."}}`
//! (resource-apis.md §1.4; codes from BC's "Troubleshooting OData/API calls" table, BCDOCS
//! `webservices/dynamics-error-codes.md`). The correlation id of an error is also sent in the
//! [`REQUEST_ID`] response header, so a client can quote one value from either place.
//!
//! Where a message is marked (doc) it is BC's documented text; (obs) was seen in real responses;
//! (infer) is ours: the OData library's wording or a reasonable BC-like sentence.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode};
use uuid::Uuid;

/// The response header that carries the correlation id of every BC sample response.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// Why the Business Central sample refused a request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BcError {
    /// The path names no entity set or resource (404 `BadRequest_NotFound`, doc).
    #[error("No HTTP resource was found that matches the request URI '{0}'.")]
    NoResource(String),
    /// A key in the path names no record, e.g. an unknown company or customer id
    /// (404 `BadRequest_ResourceNotFound`, doc).
    #[error("Resource not found for the segment '{0}'.")]
    ResourceNotFound(String),
    /// The method is not allowed on the addressed resource (405 `BadRequest_MethodNotAllowed`, doc).
    #[error(
        "'{method}' requests for '{segment}' of EdmType 'Entity' are not allowed within Dynamics 365 Business Central OData web services."
    )]
    MethodNotAllowed {
        /// The HTTP method as sent.
        method: String,
        /// The last path segment's entity set name (or `$metadata`).
        segment: String,
    },
    /// A query option or key that does not parse, or names an unknown property
    /// (400 `BadRequest_NotFound`: BC maps the OData URI parser's errors to it, doc).
    #[error("{0}")]
    QuerySyntax(String),
    /// A query option value out of bounds or not allowed (400 `BadRequest_InvalidRequestUrl`, infer).
    #[error("{0}")]
    QueryOption(String),
    /// A well-formed request BC does not support, such as `or` across distinct fields
    /// (`BadRequest_MethodNotImplemented`, obs). BC itself answers 501; custos answers 400 because
    /// the request, not the server, is at fault and clients must not retry it.
    #[error("{0}")]
    NotImplemented(String),
    /// PATCH without `If-Match` (400 `BadRequest_InvalidToken`, doc).
    #[error(
        "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request."
    )]
    MissingConcurrencyToken,
    /// `If-Match` names an older version of the record (409 `Request_EntityChanged`, doc).
    #[error("Another user has already changed the record.")]
    EntityChanged,
    /// A record with the same primary key exists (409 `Internal_EntityWithSameKeyExists`, doc).
    #[error("The {table} already exists. Identification fields and values: No.='{number}'")]
    DuplicateKey {
        /// BC's table caption: `Customer`, `Item`, `Vendor`.
        table: &'static str,
        /// The conflicting `number`.
        number: String,
    },
    /// The body is not a JSON object, a property is unknown or has the wrong JSON type
    /// (400 `BadRequest`, doc for "Invalid Request Body"; the OData library's wording otherwise).
    #[error("{0}")]
    InvalidBody(String),
    /// The body sets a read-only property (400 `BadRequest_InvalidOperation`, doc).
    #[error("Control '{0}' is read-only.")]
    ReadOnly(&'static str),
    /// The body sets a property to `null` (400 `BadRequest_RequiredParamNotProvided`, doc).
    #[error("Field '{0}' must not be blank or empty.")]
    BlankField(&'static str),
    /// A string longer than the field (400 `Application_StringExceededLength`, doc).
    #[error(
        "The length of the string is {length}, but it must be less than or equal to {max} characters. Value: {value}"
    )]
    StringTooLong {
        /// Length of the value sent, in characters.
        length: usize,
        /// The field's maximum length.
        max: usize,
        /// The value sent.
        value: String,
    },
    /// A GUID property that is not a GUID (400 `Application_InvalidGUID`, doc).
    #[error(
        "Invalid format of GUID string. The correct format of the GUID string is: CDEF7890-ABCD-0123-1234-567890ABCDEF where 0-9, A-F symbolizes hexadecimal digits."
    )]
    InvalidGuid,
    /// A value outside an enum's members (400 `Application_EvaluateException`, doc).
    #[error("The value \"{0}\" cannot be evaluated into type Option.")]
    InvalidOption(String),
    /// A business rule refuses the value (400 `Application_FieldValidationException`, doc shape).
    #[error("{0}")]
    FieldValidation(String),
    /// A write whose body is not JSON (415 `BadRequest_UnsupportedMediaType`, infer).
    #[error("The request content type '{0}' is not supported; send application/json.")]
    UnsupportedMediaType(String),
    /// A record with the same key exists, in a table other than the API v2.0 entities (409
    /// `Internal_EntityWithSameKeyExists`, doc; the message names the table and key).
    #[error("{0}")]
    RecordExists(String),
    /// A valid token that BC does not accept: its client is not an Enabled Microsoft Entra application,
    /// or it lacks the endpoint's app role (401 `Authentication_InvalidCredentials`, obs; see `authorize`).
    #[error("The server has rejected the client credentials.")]
    InvalidCredentials,
    /// The caller's permission sets do not cover the operation (403 `Authorization_InsufficientPermissions`,
    /// infer; message in BC 22's shape, obs).
    #[error("Sorry, the current permissions prevented the action. ({object} {permission}: {extension})")]
    InsufficientPermissions {
        /// `TableData <id> <caption>`.
        object: String,
        /// `Read`, `Insert`, `Modify` or `Delete`.
        permission: &'static str,
        /// The extension that owns the table (`Base Application`, `System`).
        extension: &'static str,
    },
    /// A rule about who may change a user refuses the change, although the permission sets cover the
    /// table (403 `Authorization_InsufficientPermissions`, infer; BC 22's opening sentence, obs).
    #[error("Sorry, the current permissions prevented the action. {0}")]
    UserChangeRefused(UserRule),
    /// The sample's database failed (500 `Internal_ServerError`, doc code; details only logged).
    #[error("An unexpected error occurred while processing the request.")]
    Internal(#[source] sqlx::Error),
}

/// The rules on changing users that hold whatever the caller's permission sets are (see `authorize` and
/// the Automation API's `users`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UserRule {
    /// An application writes its own user or its own `userPermissions`.
    #[error(
        "An application cannot change its own user or permission sets; make the change with another application or with the custos sample business-central apps command."
    )]
    OwnUser,
    /// An application's `state` changes and the caller does not hold `SECURITY`.
    #[error(
        "Changing the State of a Microsoft Entra application requires the SECURITY permission set (or the custos sample business-central apps enable and disable commands)."
    )]
    ApplicationStateNeedsSecurity,
}

impl BcError {
    /// BC's `<Category_Reason>` code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::NoResource(_) | Self::QuerySyntax(_) => "BadRequest_NotFound",
            Self::ResourceNotFound(_) => "BadRequest_ResourceNotFound",
            Self::MethodNotAllowed { .. } => "BadRequest_MethodNotAllowed",
            Self::QueryOption(_) => "BadRequest_InvalidRequestUrl",
            Self::NotImplemented(_) => "BadRequest_MethodNotImplemented",
            Self::MissingConcurrencyToken => "BadRequest_InvalidToken",
            Self::EntityChanged => "Request_EntityChanged",
            Self::DuplicateKey { .. } => "Internal_EntityWithSameKeyExists",
            Self::InvalidBody(_) => "BadRequest",
            Self::ReadOnly(_) => "BadRequest_InvalidOperation",
            Self::BlankField(_) => "BadRequest_RequiredParamNotProvided",
            Self::StringTooLong { .. } => "Application_StringExceededLength",
            Self::InvalidGuid => "Application_InvalidGUID",
            Self::InvalidOption(_) => "Application_EvaluateException",
            Self::FieldValidation(_) => "Application_FieldValidationException",
            Self::UnsupportedMediaType(_) => "BadRequest_UnsupportedMediaType",
            Self::RecordExists(_) => "Internal_EntityWithSameKeyExists",
            Self::InvalidCredentials => "Authentication_InvalidCredentials",
            Self::InsufficientPermissions { .. } | Self::UserChangeRefused(_) => {
                "Authorization_InsufficientPermissions"
            }
            Self::Internal(_) => "Internal_ServerError",
        }
    }

    /// The HTTP status of the response.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::NoResource(_) | Self::ResourceNotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotImplemented(_) => StatusCode::BAD_REQUEST,
            Self::EntityChanged | Self::DuplicateKey { .. } | Self::RecordExists(_) => StatusCode::CONFLICT,
            Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::InsufficientPermissions { .. } | Self::UserChangeRefused(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::QuerySyntax(_)
            | Self::QueryOption(_)
            | Self::MissingConcurrencyToken
            | Self::InvalidBody(_)
            | Self::ReadOnly(_)
            | Self::BlankField(_)
            | Self::StringTooLong { .. }
            | Self::InvalidGuid
            | Self::InvalidOption(_)
            | Self::FieldValidation(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<sqlx::Error> for BcError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error)
    }
}

/// BC's message with the correlation id appended: `<text>  CorrelationId:  <guid>.`
pub(crate) fn with_correlation_id(text: &str, correlation_id: Uuid) -> String {
    format!("{text}  CorrelationId:  {correlation_id}.")
}

impl IntoResponse for BcError {
    fn into_response(self) -> Response {
        let correlation_id = Uuid::new_v4();
        if let Self::Internal(source) = &self {
            tracing::error!(%correlation_id, error = %source, "business central sample: database error");
        }
        let body = serde_json::json!({
            "error": {
                "code": self.code(),
                "message": with_correlation_id(&self.to_string(), correlation_id),
            }
        });
        let mut response = (self.status(), Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&correlation_id.to_string()) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_has_bc_shape_and_header_matches_the_correlation_id() {
        let response = BcError::EntityChanged.into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let id = response.headers()[REQUEST_ID].to_str().unwrap().to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "Request_EntityChanged");
        assert_eq!(
            body["error"]["message"],
            format!("Another user has already changed the record.  CorrelationId:  {id}.")
        );
    }
}
