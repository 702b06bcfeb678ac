//! The `interactiveUser` sign-in record of each decision on the sign-in pages: a password
//! accepted or refused (wrong password, unknown or disabled user, locked account, a user of
//! another tenant) and consent declined (AADSTS65004, as Entra records it), handed to the
//! batching writer ([`custos_store::SignInLog`]) without waiting. Only ids, names, the address
//! and the outcome are recorded; never the password.
//!
//! The record belongs to the user's tenant when the user was found, else to the path's tenant,
//! else to the tenant the typed name's domain names; with none of them there is no record.

use crate::routes::Incoming;
use crate::state::SignIn as State;
use axum::http::{HeaderValue, header};
use custos_core::TenantId;
use custos_core::aadsts::TokenError;
use custos_core::model::Application;
use custos_core::sign_in_log::{
    ClientCredentialType, SignIn, SignInApp, SignInCredential, SignInEventType, SignInResource, SignInStatus,
    SignInUser, cut, id_and_time, user_agent,
};
use custos_core::users::{User, check_user_principal_name};

/// Who signed in (or tried to).
pub(crate) enum Who<'a> {
    /// A user who was found.
    Found(&'a User),
    /// A name as typed on the form.
    Typed(&'a str),
}

/// What the authorize request asked for.
pub(crate) struct Asked<'a> {
    /// The path tenant (`None` for `common` and `organizations`).
    pub(crate) path_tenant: Option<TenantId>,
    /// The client.
    pub(crate) app: &'a Application,
    /// The resource (v1 `resource`), when named.
    pub(crate) resource: Option<&'a str>,
    /// Whether the request carried a `login_hint`.
    pub(crate) login_hint: bool,
}

/// Records one decision: `outcome` is `None` when the user was let in.
pub(crate) async fn record(
    state: &State,
    req: &Incoming,
    asked: &Asked<'_>,
    who: Who<'_>,
    outcome: Option<&TokenError>,
) {
    if !state.sign_ins.is_on() {
        return;
    }
    let (tenant, user) = match who {
        Who::Found(user) => (
            Some(user.tenant_id),
            SignInUser {
                id: Some(user.id),
                principal_name: user.user_principal_name.clone(),
                display_name: Some(user.display_name.clone()),
            },
        ),
        Who::Typed(login) => {
            let by_domain = match (asked.path_tenant, check_user_principal_name(login.trim())) {
                (Some(tenant), _) => Some(tenant),
                (None, Ok((_, domain))) => {
                    state.directory.resolve_tenant(domain).await.ok().flatten().map(|t| t.id)
                }
                (None, Err(_)) => None,
            };
            (by_domain, SignInUser { id: None, principal_name: cut(login.trim()), display_name: None })
        }
    };
    let Some(tenant) = tenant else { return };
    let resource = match asked.resource {
        Some(asked) => {
            let needs = custos_store::Needs::default().and_resource(asked);
            let snapshot = state.directory.snapshot_for(tenant, &needs).await.ok().flatten();
            let found = snapshot.as_ref().and_then(|s| {
                let app = s.application_by_identifier(asked)?;
                Some(SignInResource {
                    app_id: app.app_id.to_string(),
                    display_name: Some(app.display_name.clone()),
                    service_principal_id: s.service_principal(app.app_id).map(|sp| sp.id),
                })
            });
            Some(found.unwrap_or_else(|| SignInResource { app_id: cut(asked), ..Default::default() }))
        }
        None => None,
    };
    let (id, created) = id_and_time(req.trace.now);
    state.sign_ins.record(SignIn {
        id,
        tenant_id: tenant,
        created,
        event_type: SignInEventType::InteractiveUser,
        app: SignInApp {
            app_id: asked.app.app_id.to_string(),
            display_name: Some(asked.app.display_name.clone()),
            service_principal: None,
        },
        user: Some(user),
        resource,
        ip: req.source,
        user_agent: user_agent(req.headers.get(header::USER_AGENT).map(HeaderValue::as_bytes)),
        correlation_id: req.trace.correlation_id,
        credential: SignInCredential { kind: Some(ClientCredentialType::None), ..Default::default() },
        status: outcome
            .map_or_else(SignInStatus::success, |e| SignInStatus::failure(e.code(), &e.to_string())),
        scopes: Vec::new(),
        login_hint_present: asked.login_hint,
    });
}
