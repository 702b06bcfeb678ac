//! The sign-in record of each token-endpoint decision ([`record`]): what the request's
//! [`Trail`] collected (tenant, client, credential, user, resource), completed from the tenant's
//! cached directory snapshot (names, service principals) and handed to the batching writer
//! ([`custos_store::SignInLog`]) without waiting. A request that named no known tenant has no
//! tenant to log in and leaves no record.
//!
//! Kinds: user flows (code redemption, refresh, password) are `nonInteractiveUser`; client
//! credentials are `servicePrincipal`, or `managedIdentity` when the client's principal is a
//! managed identity (whose credential is then `managedIdentity`). A client that failed before
//! authenticating is described by what it presented: a secret, or an assertion (a certificate
//! when the application has certificates, a federated credential when it has only those).

use crate::Authority;
use crate::form::ClientCredential;
use crate::issue::Trail;
use axum::http::HeaderValue;
use custos_core::aadsts::TokenError;
use custos_core::model::{Application, ServicePrincipalType};
use custos_core::sign_in_log::{
    ClientCredentialType, SignIn, SignInApp, SignInCredential, SignInEventType, SignInResource, SignInStatus,
    cut, id_and_time, user_agent,
};
use custos_core::{AppId, ObjectId};
use custos_store::Needs;
use std::net::IpAddr;
use uuid::Uuid;

/// Most `Oauth Scope Info` entries kept of one request.
const MAX_SCOPES: usize = 32;

/// What the request itself says, besides the trail.
#[derive(Debug)]
pub(crate) struct RequestFacts {
    /// `client-request-id` when a GUID, else new.
    pub(crate) correlation_id: Uuid,
    /// The client's address.
    pub(crate) ip: Option<IpAddr>,
    /// The client's `User-Agent` header, as sent (cut only when a record is made).
    pub(crate) user_agent: Option<HeaderValue>,
}

/// What kind of credential a request presented, before any check.
pub(crate) fn presented(credential: &ClientCredential) -> ClientCredentialType {
    match credential {
        ClientCredential::None => ClientCredentialType::None,
        ClientCredential::Secret(_) => ClientCredentialType::ClientSecret,
        ClientCredential::Assertion { .. } => ClientCredentialType::ClientAssertion,
    }
}

/// The permission names of a `scope` parameter, without their resource prefix.
pub(crate) fn scope_names(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split_whitespace()
        .map(|s| cut(s.rsplit('/').next().unwrap_or(s)))
        .take(MAX_SCOPES)
        .collect()
}

/// Records the decision `outcome` (`None`: a token was issued) of the request `trail` describes.
pub(crate) async fn record(
    auth: &Authority,
    trail: &Trail,
    facts: &RequestFacts,
    outcome: Option<&TokenError>,
) {
    if !auth.sign_ins.is_on() {
        return;
    }
    let Some(tenant) = trail.tenant else { return };
    let mut needs = Needs::client(trail.client_id.as_deref().unwrap_or_default());
    if let Some(resource) = &trail.resource {
        needs = needs.and_resource(resource.clone());
    }
    let snapshot = auth.directory.snapshot_for(tenant, &needs).await.ok().flatten();
    let app_id = trail.client_id.as_deref().map(cut).unwrap_or_default();
    let client_id = app_id.parse::<AppId>().ok();
    let client = client_id.and_then(|id| snapshot.as_ref()?.application(id));
    let principal = client_id.and_then(|id| snapshot.as_ref()?.service_principal(id));
    let managed =
        principal.is_some_and(|sp| sp.service_principal_type == ServicePrincipalType::ManagedIdentity);
    let event_type = match (trail.user_flow, managed) {
        (true, _) => SignInEventType::NonInteractiveUser,
        (false, true) => SignInEventType::ManagedIdentity,
        (false, false) => SignInEventType::ServicePrincipal,
    };
    let service_principal = principal.filter(|_| !trail.user_flow).map(|sp| (sp.id, sp.display_name.clone()));
    let mut credential = trail.credential.clone().unwrap_or_else(|| SignInCredential {
        kind: Some(unauthenticated(trail.presented, client)),
        ..Default::default()
    });
    if managed {
        credential.kind = Some(ClientCredentialType::ManagedIdentity);
    }
    let resource = trail.resource.as_deref().map(|asked| {
        let found = snapshot.as_ref().and_then(|s| {
            let app = s.application_by_identifier(asked)?;
            Some((app, s.service_principal(app.app_id).map(|sp| sp.id)))
        });
        match found {
            Some((app, sp)) => resource_of(app, sp),
            None => SignInResource { app_id: cut(asked), ..Default::default() },
        }
    });
    let status =
        outcome.map_or_else(SignInStatus::success, |e| SignInStatus::failure(e.code(), &e.to_string()));
    let (id, created) = id_and_time(auth.clock.now());
    auth.sign_ins.record(SignIn {
        id,
        tenant_id: tenant,
        created,
        event_type,
        app: SignInApp { app_id, display_name: client.map(|c| c.display_name.clone()), service_principal },
        user: trail.user.clone(),
        resource,
        ip: facts.ip,
        user_agent: user_agent(facts.user_agent.as_ref().map(HeaderValue::as_bytes)),
        correlation_id: facts.correlation_id,
        credential,
        status,
        scopes: trail.scopes.clone(),
        login_hint_present: false,
    });
}

fn resource_of(app: &Application, sp: Option<ObjectId>) -> SignInResource {
    SignInResource {
        app_id: app.app_id.to_string(),
        display_name: Some(app.display_name.clone()),
        service_principal_id: sp,
    }
}

/// The credential kind of a client that did not authenticate, from what it presented.
fn unauthenticated(
    presented: Option<ClientCredentialType>,
    client: Option<&Application>,
) -> ClientCredentialType {
    match (presented, client) {
        (Some(ClientCredentialType::ClientAssertion), Some(app)) if !app.key_credentials.is_empty() => {
            ClientCredentialType::Certificate
        }
        (Some(ClientCredentialType::ClientAssertion), Some(app))
            if !app.federated_identity_credentials.is_empty() =>
        {
            ClientCredentialType::FederatedIdentityCredential
        }
        (kind, _) => kind.unwrap_or(ClientCredentialType::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_drop_the_resource_and_stay_bounded() {
        assert_eq!(scope_names(Some("https://graph.microsoft.com/.default")), vec![".default"]);
        assert_eq!(scope_names(Some("api://payroll/Read openid")), vec!["Read", "openid"]);
        assert!(scope_names(None).is_empty());
        assert_eq!(scope_names(Some(&"s ".repeat(100))).len(), MAX_SCOPES);
    }
}
