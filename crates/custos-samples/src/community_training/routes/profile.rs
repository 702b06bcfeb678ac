//! `GET /api/v2/Profile` (services and signed-in users) and `GET /api/v2/Profile/Role` (signed-in
//! users only): who is calling.

use axum::Json;
use custos_guard::{Principal, PrincipalKind};

use crate::community_training::shapes::{Profile, ProfileRole};

/// The Global Administrator directory role's template id (`wids`).
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// The calling service, or the signed-in user, as the guard validated the token.
#[utoipa::path(
    get,
    path = "/api/v2/Profile",
    tag = "Profile",
    responses(
        (status = 200, description = "The calling service or signed-in user (custos' own shape)", body = Profile),
        (status = 401, description = "No valid token, or an app token without `ClientType: Service`"),
        (status = 403, description = "The caller is not allowed (allow-lists, role, or a user token without a required scope)"),
    ),
    security(("bearer" = [], "clientType" = []), ("bearer" = []))
)]
pub async fn profile(caller: Principal) -> Json<Profile> {
    let user = caller.user.unwrap_or_default();
    let signed_in = caller.kind == PrincipalKind::User;
    Json(Profile {
        object_id: caller.object_id.as_uuid(),
        application_id: caller.client_app_id.as_uuid(),
        tenant_id: caller.tenant_id.as_uuid(),
        roles: caller.roles,
        caller_type: if signed_in { "User" } else { "Service" },
        user_principal_name: user.username,
        name: user.name,
        scopes: signed_in.then_some(caller.scopes),
    })
}

/// The signed-in user's role in the portal: `Global Administrator` for a user holding that directory
/// role (`wids`), else `Learner`. App tokens are refused here.
#[utoipa::path(
    get,
    path = "/api/v2/Profile/Role",
    tag = "Profile",
    responses(
        (status = 200, description = "The signed-in user's role (custos' own shape)", body = ProfileRole),
        (status = 401, description = "No valid token"),
        (status = 403, description = "An app token, or a user token without a required scope"),
    ),
    security(("bearer" = []))
)]
pub async fn role(caller: Principal) -> Json<ProfileRole> {
    let admin = caller.user.is_some_and(|u| u.directory_roles.iter().any(|r| r == GLOBAL_ADMINISTRATOR));
    Json(ProfileRole { role: if admin { "Global Administrator" } else { "Learner" } })
}
