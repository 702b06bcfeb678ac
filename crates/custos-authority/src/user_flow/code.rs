//! `grant_type=authorization_code`: the code is spent first (atomically, once), then checked
//! against the request in Entra's order: tenant path, client, redirect URI, PKCE, client
//! authentication by platform, the user, consent (`entra-user-flows.md` §3.2; security.md D28).

use super::{Call, Family, Grant, UserIssued, client, live_user, mint, scopes};
use crate::Authority;
use crate::form::TokenRequest;
use crate::issue::{self, Trail, unavailable};
use custos_core::aadsts::{SignInError, TokenError, UserFlowError};
use custos_core::sign_in::{AuthorizeEndpoint, CodeGrant};
use custos_store::{CodeRedemption, Needs};

pub(super) async fn redeem(
    auth: &Authority,
    call: Call<'_>,
    req: &TokenRequest,
    trail: &mut Trail,
) -> Result<UserIssued, TokenError> {
    let client_id = req.client_id.as_deref().ok_or(TokenError::MissingParameter("client_id"))?;
    let code = req.code.as_ref().ok_or(TokenError::MissingParameter("code"))?;
    let code_hash = custos_jose::hash::sha256(code.expose().as_bytes());
    let redemption = auth.directory.store().redeem_authorization_code(&code_hash, auth.clock.unix()).await;
    let grant = match redemption.map_err(|e| unavailable(&e))? {
        CodeRedemption::Redeemed(grant) => grant,
        CodeRedemption::Replayed(grant) => {
            tracing::warn!(client_id = %grant.client_id, tid = %grant.tenant_id, "authorization code replayed: its refresh tokens are revoked");
            return Err(UserFlowError::CodeRedeemed.into());
        }
        CodeRedemption::Expired => return Err(UserFlowError::ExpiredGrant.into()),
        CodeRedemption::Unknown => return Err(UserFlowError::MalformedGrant.into()),
    };
    trail.tenant = Some(grant.tenant_id);
    trail.user = Some(custos_core::sign_in_log::SignInUser {
        id: Some(grant.user_id),
        principal_name: String::new(),
        display_name: None,
    });
    check_binding(&grant, call, client_id, req)?;

    // Read now to name what the request reads of the tenant; refused in Entra's order below.
    let asked = asked_of(auth, call, req, &grant);
    let mut needs = Needs::client(client_id);
    if let Ok(asked) = &asked {
        needs = needs.and_resource(asked.resource.clone());
    }
    let snapshot = auth
        .directory
        .snapshot_for(grant.tenant_id, &needs)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| TokenError::UnknownTenant(grant.tenant_id.to_string()))?;
    let home = issue::foreign_home(auth, &snapshot, client_id).await?;
    let client = client(auth, &snapshot, home.as_deref(), req, grant.platform, call).await?;
    trail.credential = Some(client.auth.describe(client.app));
    let user = live_user(auth, grant.tenant_id, grant.user_id).await?;
    trail.user(&user);

    let asked = asked?;
    trail.resource = Some(asked.resource.clone());
    mint(
        auth,
        Grant {
            snapshot: &snapshot,
            client: &client,
            user: &user,
            asked: &asked,
            endpoint: call.endpoint,
            amr: &grant.amr,
            auth_time: grant.auth_time,
            nonce: grant.nonce.as_deref(),
            client_info: req.client_info,
            family: Family::Start { id: grant.grant_id, platform: grant.platform },
        },
    )
    .await
}

/// What the request asks for: the token request may name the resource (v1) or scopes (v2); else
/// those of /authorize.
fn asked_of(
    auth: &Authority,
    call: Call<'_>,
    req: &TokenRequest,
    grant: &CodeGrant,
) -> Result<scopes::Asked, TokenError> {
    let (resource, scope) = match call.endpoint {
        AuthorizeEndpoint::V1 => {
            if let (Some(asked), Some(issued)) = (req.resource.as_deref(), grant.resource.as_deref())
                && asked != issued
            {
                return Err(TokenError::InvalidParameter("resource"));
            }
            (req.resource.as_deref().or(grant.resource.as_deref()), None)
        }
        AuthorizeEndpoint::V2 => (None, req.scope.as_deref().or(grant.scope.as_deref())),
    };
    scopes::asked(auth.config.origins.graph(), call.endpoint, resource, scope)
}

/// The code is bound to the endpoint version and tenant path it was issued on, the client, the
/// redirect URI and the PKCE challenge.
fn check_binding(
    grant: &CodeGrant,
    call: Call<'_>,
    client_id: &str,
    req: &TokenRequest,
) -> Result<(), TokenError> {
    if grant.endpoint != call.endpoint || !grant.issued_on.eq_ignore_ascii_case(call.tenant_segment) {
        return Err(UserFlowError::CodeForOtherTenant.into());
    }
    if grant.client_id.to_string() != client_id.to_ascii_lowercase() {
        return Err(UserFlowError::GrantForOtherClient.into());
    }
    match (grant.redirect_uri.as_deref(), req.redirect_uri.as_deref()) {
        (Some(issued), Some(asked)) if issued == asked => {}
        (None, None) => {}
        (_, asked) => {
            return Err(UserFlowError::RedirectUriMismatch(asked.unwrap_or_default().to_owned()).into());
        }
    }
    match (grant.code_challenge.as_deref(), req.code_verifier.as_ref()) {
        (Some(challenge), Some(verifier)) if custos_jose::pkce::verify_s256(challenge, verifier.expose()) => {
            Ok(())
        }
        (None, None) => Ok(()),
        // A wrong verifier, a missing one, or one without a challenge (a PKCE downgrade).
        _ => Err(SignInError::CodeVerifierMismatch.into()),
    }
}
