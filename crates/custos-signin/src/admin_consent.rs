//! `GET /{tenant}/adminconsent` (v1) and `/{tenant}/v2.0/adminconsent` (v2)
//! (`entra-user-flows.md` §2.1, `entra-wire.md` §1): an administrator consents for the whole
//! tenant to an application's `requiredResourceAccess` (v1, v2 `.default`) or to individual
//! delegated scopes (v2). The flow is the authorize flow ([`crate::authorize`]) without a code;
//! this module shapes its redirects:
//! - success: `?admin_consent=True&tenant={tid}&state=…` (v2 adds `&scope=…`);
//! - an administrator's cancel: v1 `?error=permission_denied&error_description=The admin
//!   canceled the request&state=…`; v2 `?admin_consent=True&error=consent_required&
//!   error_description=AADSTS65004: …&state=…`;
//! - other errors: the usual error fields plus `admin_consent=True&tenant=…`.

use crate::authorize::{self, Kind};
use crate::error::Trace;
use crate::request::Version;
use crate::respond::{self, Destination};
use crate::routes::Incoming;
use crate::state::SignIn;
use axum::response::Response;
use custos_core::TenantId;
use custos_core::aadsts::{SignInError, TokenError};

/// Handles both admin-consent endpoints.
pub(crate) async fn handle(state: &SignIn, version: Version, incoming: &Incoming) -> Response {
    authorize::flow(state, Kind::AdminConsent, version, incoming).await
}

/// The success redirect.
pub(crate) fn success(
    to: Destination<'_>,
    tenant: TenantId,
    state: Option<&str>,
    scope: Option<&str>,
) -> Response {
    let mut fields = vec![("admin_consent", "True".to_owned()), ("tenant", tenant.to_string())];
    if let Some(state) = state {
        fields.push(("state", state.to_owned()));
    }
    if let Some(scope) = scope {
        fields.push(("scope", scope.to_owned()));
    }
    respond::send(to, &fields)
}

/// The administrator pressed Cancel.
pub(crate) fn cancelled(
    to: Destination<'_>,
    version: Version,
    trace: &Trace,
    state: Option<&str>,
) -> Response {
    let mut fields = match version {
        Version::V1 => vec![
            ("error", "permission_denied".to_owned()),
            ("error_description", "The admin canceled the request".to_owned()),
        ],
        Version::V2 => vec![
            ("admin_consent", "True".to_owned()),
            ("error", "consent_required".to_owned()),
            ("error_description", trace.describe(&SignInError::AdminConsentDeclined.into())),
        ],
    };
    if let Some(state) = state {
        fields.push(("state", state.to_owned()));
    }
    respond::send(to, &fields)
}

/// Any other redirected error.
pub(crate) fn error(
    to: Destination<'_>,
    error: &TokenError,
    trace: &Trace,
    public_url: &str,
    tenant: Option<TenantId>,
    state: Option<&str>,
) -> Response {
    let mut fields = respond::error_fields(error, trace, public_url, None);
    fields.push(("admin_consent", "True".to_owned()));
    if let Some(tenant) = tenant {
        fields.push(("tenant", tenant.to_string()));
    }
    if let Some(state) = state {
        fields.push(("state", state.to_owned()));
    }
    respond::send(to, &fields)
}
