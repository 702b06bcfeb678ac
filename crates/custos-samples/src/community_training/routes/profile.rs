//! `GET /api/v2/Profile`: who is calling.

use axum::Json;
use custos_guard::Principal;

use crate::community_training::shapes::Profile;

/// The calling service as the guard validated it.
#[utoipa::path(
    get,
    path = "/api/v2/Profile",
    tag = "Profile",
    responses(
        (status = 200, description = "The calling service (custos' own shape)", body = Profile),
        (status = 401, description = "No valid token, or an app token without `ClientType: Service`"),
        (status = 403, description = "The caller is not allowed (allow-lists, role)"),
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn profile(caller: Principal) -> Json<Profile> {
    Json(Profile {
        object_id: caller.object_id.as_uuid(),
        application_id: caller.client_app_id.as_uuid(),
        tenant_id: caller.tenant_id.as_uuid(),
        roles: caller.roles,
        caller_type: "Service",
    })
}
