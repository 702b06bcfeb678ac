//! `grant_type=refresh_token`: the token is read without spending it, checked (client binding,
//! family revoked or expired, client authentication, user, consent for what is asked), and only
//! then rotated, so a refused request leaves the client's token usable; presenting a token that
//! was already rotated revokes its whole family (security.md D29).

use super::{Call, Family, Grant, UserIssued, client, live_user, mint, scopes};
use crate::Authority;
use crate::form::TokenRequest;
use crate::issue::{self, Trail, unavailable};
use custos_core::aadsts::{TokenError, UserFlowError};
use custos_store::{Needs, RefreshTokenState};
use time::OffsetDateTime;

pub(super) async fn refresh(
    auth: &Authority,
    call: Call<'_>,
    req: &TokenRequest,
    trail: &mut Trail,
) -> Result<UserIssued, TokenError> {
    let client_id = req.client_id.as_deref().ok_or(TokenError::MissingParameter("client_id"))?;
    let presented = req.refresh_token.as_ref().ok_or(TokenError::MissingParameter("refresh_token"))?;
    let presented_hash = custos_jose::hash::sha256(presented.expose().as_bytes());
    let store = auth.directory.store();
    let state = store.refresh_token(&presented_hash).await.map_err(|e| unavailable(&e))?;
    let state = state.ok_or(UserFlowError::MalformedGrant)?;
    let family = &state.grant;
    trail.tenant = Some(family.tenant_id);
    trail.user = Some(custos_core::sign_in_log::SignInUser {
        id: Some(family.user_id),
        principal_name: String::new(),
        display_name: None,
    });
    if family.client_id.to_string() != client_id.to_ascii_lowercase() {
        return Err(UserFlowError::GrantForOtherClient.into());
    }
    check_alive(auth, &state, &presented_hash).await?;

    // Read now to name what the request reads of the tenant; refused in Entra's order below.
    let asked = scopes::asked(
        auth.config.origins.graph(),
        call.endpoint,
        req.resource.as_deref(),
        req.scope.as_deref(),
    );
    let mut needs = Needs::client(client_id);
    if let Ok(asked) = &asked {
        needs = needs.and_resource(asked.resource.clone());
    }
    let snapshot = auth
        .directory
        .snapshot_for(family.tenant_id, &needs)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| TokenError::UnknownTenant(family.tenant_id.to_string()))?;
    if !call.tenant_segment.eq_ignore_ascii_case(&family.tenant_id.to_string())
        && issue::alias(call.tenant_segment).is_none()
        && !call.tenant_segment.eq_ignore_ascii_case(&snapshot.tenant.domain)
    {
        return Err(TokenError::UnknownClient {
            client_id: client_id.to_owned(),
            tenant: call.tenant_segment.to_owned(),
        });
    }
    let home = issue::foreign_home(auth, &snapshot, client_id).await?;
    let client = client(auth, &snapshot, home.as_deref(), req, family.platform, call).await?;
    trail.credential = Some(client.auth.describe(client.app));
    let user = live_user(auth, family.tenant_id, family.user_id).await?;
    trail.user(&user);
    if user.tokens_valid_from.unix_timestamp() > family.created {
        return Err(UserFlowError::GrantRevoked.into());
    }
    let asked = asked?;
    trail.resource = Some(asked.resource.clone());
    let amr = ["pwd".to_owned()];
    mint(
        auth,
        Grant {
            snapshot: &snapshot,
            client: &client,
            user: &user,
            asked: &asked,
            endpoint: call.endpoint,
            amr: &amr,
            auth_time: family.created,
            nonce: None,
            client_info: req.client_info,
            family: Family::Continue { grant: family, presented_hash },
        },
    )
    .await
}

/// Refuses a revoked, reused or expired token; a reused one revokes its family on the way.
async fn check_alive(auth: &Authority, state: &RefreshTokenState, hash: &[u8; 32]) -> Result<(), TokenError> {
    let now = auth.clock.unix();
    if state.revoked {
        return Err(UserFlowError::GrantRevoked.into());
    }
    if state.used {
        // Spending it again records the reuse and revokes the family.
        let tombstone = custos_store::RefreshToken {
            token_hash: *hash,
            grant_id: state.grant.id,
            issued_at: now,
            expires: now,
        };
        let _ = auth
            .directory
            .store()
            .rotate_refresh_token(hash, &tombstone, now)
            .await
            .map_err(|e| unavailable(&e))?;
        tracing::warn!(client_id = %state.grant.client_id, tid = %state.grant.tenant_id, "a rotated refresh token was presented again: its family is revoked");
        return Err(UserFlowError::GrantRevoked.into());
    }
    let issued = || {
        OffsetDateTime::from_unix_timestamp(state.issued_at)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| state.issued_at.to_string())
    };
    if let Some(deadline) = state.grant.deadline
        && deadline <= now
    {
        return Err(UserFlowError::SpaRefreshTokenExpired { issued: issued() }.into());
    }
    if state.expires <= now {
        return Err(UserFlowError::RefreshTokenExpired { issued: issued() }.into());
    }
    Ok(())
}
