//! The guard in front of the API routes: custos-guard's [`Guard::validate_with`] with the [`Policy`]
//! of each group of routes ([`Callers`]), whose refusals (RFC 6750 challenges, 401 for an app token
//! without `ClientType: Service`, 403 for a caller not allowed in, a user's token on a services-only
//! route or an app token on a users-only route) are answered as they are.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use custos_guard::{DelegatedRule, Guard, GuardConfig, Policy};

use super::routes::Callers;

/// The guard and the rule of one group of routes.
#[derive(Debug, Clone)]
pub struct Access {
    /// The API's guard.
    pub guard: Arc<Guard>,
    /// The group's rule.
    pub policy: Arc<Policy>,
}

/// The rule for `callers`: seed 000's S2S rule from `config` for app tokens, `scopes` (the `Scopes`
/// setting; `None` = no user token anywhere) for delegated tokens.
pub fn policy(callers: Callers, config: &GuardConfig, scopes: Option<&[String]>) -> Policy {
    let delegated = || scopes.map_or(DelegatedRule::Refused, |s| DelegatedRule::Scopes(s.to_vec()));
    match callers {
        Callers::Services => config.policy().clone().with_delegated(DelegatedRule::Refused),
        Callers::ServicesAndUsers => config.policy().clone().with_delegated(delegated()),
        Callers::Users => Policy::default().without_app_tokens().with_delegated(delegated()),
    }
}

/// Lets a request through with its [`Principal`](custos_guard::Principal) in the extensions, or
/// answers the guard's refusal.
pub async fn require_caller(State(access): State<Access>, mut request: Request, next: Next) -> Response {
    match access.guard.validate_with(request.headers(), &access.policy).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => error.to_response(),
    }
}
