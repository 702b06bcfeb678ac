//! `grant_type=password` (MSAL's `acquire_token_by_username_password`): refused unless the
//! tenant's `allowPasswordGrant` setting is on, a testing aid RFC 9700 forbids in production. The
//! user must exist in the path tenant (never `common`), the password must match, and consent
//! must already exist (there is no page to ask for it).

use super::{Call, Family, Grant, UserIssued, client, live_user, mint, scopes};
use crate::Authority;
use crate::form::TokenRequest;
use crate::issue::{self, Trail, unavailable};
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::consent::Platform;
use custos_core::sign_in_log::{SignInUser, cut};
use custos_store::Needs;
use uuid::Uuid;

pub(super) async fn password(
    auth: &Authority,
    call: Call<'_>,
    req: &TokenRequest,
    trail: &mut Trail,
) -> Result<UserIssued, TokenError> {
    if issue::alias(call.tenant_segment).is_some() {
        return Err(TokenError::GrantNotSupportedOnAlias);
    }
    // Read now to name what the request reads of the tenant; refused in Entra's order below.
    let asked = scopes::asked(
        auth.config.origins.graph(),
        call.endpoint,
        req.resource.as_deref(),
        req.scope.as_deref(),
    );
    let mut needs = Needs::client(req.client_id.as_deref().unwrap_or_default());
    if let Ok(asked) = &asked {
        needs = needs.and_resource(asked.resource.clone());
    }
    let snapshot = issue::tenant_snapshot(auth, call.tenant_segment, &needs).await?;
    let tenant = snapshot.tenant.id;
    trail.tenant = Some(tenant);
    if !snapshot.settings.allow_password_grant {
        return Err(TokenError::UnsupportedGrantType("password".to_owned()));
    }
    let username = req.username.as_deref().ok_or(TokenError::MissingParameter("username"))?;
    let password = req.password.as_ref().ok_or(TokenError::MissingParameter("password"))?;
    trail.user = Some(SignInUser { id: None, principal_name: cut(username), display_name: None });
    let store = auth.directory.store();
    let found = store.user_by_upn(tenant, username).await.map_err(|e| unavailable(&e))?;
    let Some(user) = found else {
        custos_jose::password::verify_dummy(password.expose());
        return Err(SignInError::UnknownUser { tenant: tenant.to_string() }.into());
    };
    trail.user(&user);
    let stored = store.user_password_hash(tenant, user.id).await.map_err(|e| unavailable(&e))?;
    if !stored.is_some_and(|hash| custos_jose::password::verify(password.expose(), &hash)) {
        return Err(SignInError::InvalidCredentials.into());
    }
    let user = live_user(auth, tenant, user.id).await?;
    trail.user(&user);
    let client_id = req.client_id.as_deref().ok_or(TokenError::MissingParameter("client_id"))?;
    let home = issue::foreign_home(auth, &snapshot, client_id).await?;
    let platform = match req.credential {
        crate::form::ClientCredential::None => Platform::PublicClient,
        _ => Platform::Web,
    };
    let client = client(auth, &snapshot, home.as_deref(), req, platform, call).await?;
    trail.credential = Some(client.auth.describe(client.app));
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
            auth_time: auth.clock.unix(),
            nonce: None,
            client_info: req.client_info,
            family: Family::Start { id: Uuid::new_v4(), platform },
        },
    )
    .await
}
