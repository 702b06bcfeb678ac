//! The guard in front of the API routes. It is custos-guard's [`Guard::validate`] with one change of
//! status: an app token without `ClientType: Service` is answered **401** (resource-apis.md §4.1: MCT
//! does not document the response, custos answers 401), where the generic guard layer answers 400
//! `invalid_request`. The `WWW-Authenticate` challenge and the empty body are the guard's.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use custos_guard::{Guard, GuardError};

/// Lets a request through with its [`Principal`](custos_guard::Principal) in the extensions, or
/// answers the guard's refusal.
pub async fn require_service_caller(
    State(guard): State<Arc<Guard>>,
    mut request: Request,
    next: Next,
) -> Response {
    match guard.validate(request.headers()).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => refusal(&error),
    }
}

/// The guard's response for `error`, with the missing `ClientType` header turned into a 401.
pub fn refusal(error: &GuardError) -> Response {
    let mut response: Response<Body> = error.to_response();
    if matches!(error, GuardError::MissingClientType) {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::WWW_AUTHENTICATE;
    use custos_guard::Forbidden;

    #[test]
    fn missing_client_type_is_a_401_with_the_guard_challenge() {
        let response = refusal(&GuardError::MissingClientType);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer error=\"invalid_request\", error_description=\"app tokens require the header ClientType: Service\""
        );
    }

    #[test]
    fn other_refusals_keep_the_guard_status() {
        assert_eq!(refusal(&GuardError::MissingToken).status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refusal(&GuardError::Forbidden(Forbidden::MissingRole)).status(), StatusCode::FORBIDDEN);
    }
}
