//! The guard in front of the API routes: custos-guard's [`Guard::validate`], whose refusals (RFC 6750
//! challenges, 401 for an app token without `ClientType: Service`, 403 for a caller not allowed in)
//! are answered as they are.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use custos_guard::Guard;

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
        Err(error) => error.to_response(),
    }
}
