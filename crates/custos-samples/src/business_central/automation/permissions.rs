//! `users({id})/userPermissions` (GET, POST 201 `{"roleId":"SECURITY","company":"CRONUS"}`, DELETE)
//! and `permissionSets` (GET) of the Automation API. Assignments are the same rows the Entra
//! Applications card shows for an application's user, so granting a set here changes what that
//! application may do; `SUPER` is refused for application users as on the card.

use axum::response::Response;
use http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::entities::USER_PERMISSIONS;
use super::respond::{Call, collection, entity, no_content};
use crate::business_central::apps::access::{self, Assignment};
use crate::business_central::apps::permission_sets::{self, CATALOGUE};
use crate::business_central::apps::{AppError, normalise_role_id};
use crate::business_central::entities::codec::{Write, format_guid, parse_body, text_of};
use crate::business_central::error::BcError;
use crate::business_central::etag::{IfMatch, etag};
use crate::business_central::state::BcState;

/// BC's system permission sets belong to no app: the empty GUID.
const SYSTEM_APP_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The card's and the Access Control table's refusals as BC errors.
pub(crate) fn app_error(error: AppError) -> BcError {
    match error {
        AppError::AlreadyGranted(_) => BcError::RecordExists(error.to_string()),
        AppError::Database(source) => BcError::Internal(source),
        other => BcError::FieldValidation(other.to_string()),
    }
}

/// An assignment as a `userPermission` (assignments never change, so their version is 1).
fn to_json(assignment: &Assignment) -> Map<String, Value> {
    let set = permission_sets::find(&assignment.role_id);
    let value = json!({
        "@odata.etag": etag(&assignment.id, 1),
        "id": assignment.id,
        "userSecurityId": assignment.user_security_id,
        "roleId": assignment.role_id,
        "displayName": set.map_or("", |s| s.display_name),
        "company": assignment.company,
        "appId": SYSTEM_APP_ID,
        "extensionName": "",
        "scope": set.map_or("System", |s| s.scope),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// GET `userPermissions`.
pub(crate) async fn list(
    state: &BcState,
    call: &Call<'_>,
    user: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let mut conn = state.db.pool().acquire().await?;
    let assignments = access::of_user(&mut conn, &format_guid(user)).await?;
    Ok(collection(call.context(fragment), assignments.iter().map(to_json).collect(), None))
}

/// GET `userPermissions({id})`.
pub(crate) async fn get(
    state: &BcState,
    call: &Call<'_>,
    user: Uuid,
    id: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let found = access::find(state.db.pool(), &format_guid(user), &format_guid(id)).await?;
    let assignment = found.ok_or_else(|| BcError::ResourceNotFound("userPermissions".to_owned()))?;
    Ok(entity(StatusCode::OK, call.context(fragment), to_json(&assignment)))
}

/// POST `userPermissions`: `roleId` required, `company` optional (empty = all companies).
pub(crate) async fn create(
    state: &BcState,
    call: &Call<'_>,
    user: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let values = parse_body(&USER_PERMISSIONS, call.body, Write::Create)?;
    let text = |name: &str| text_of(&values, name).map(|t| t.trim().to_owned());
    let role_id =
        text("roleId").map(|r| normalise_role_id(&r)).filter(|r| !r.is_empty()).ok_or_else(|| {
            BcError::FieldValidation(
                "Role ID must have a value in Access Control: Role ID=. It cannot be zero or empty."
                    .to_owned(),
            )
        })?;
    let company = text("company").unwrap_or_default();
    let mut conn = state.db.pool().acquire().await?;
    let assignment =
        access::assign(&mut conn, &format_guid(user), &role_id, &company).await.map_err(app_error)?;
    Ok(entity(StatusCode::CREATED, call.context(&format!("{fragment}/$entity")), to_json(&assignment)))
}

/// DELETE `userPermissions({id})`: `If-Match` checked only when sent.
pub(crate) async fn delete(
    state: &BcState,
    call: &Call<'_>,
    user: Uuid,
    id: Uuid,
) -> Result<Response, BcError> {
    let (user, id) = (format_guid(user), format_guid(id));
    let pool = state.db.pool();
    let assignment = access::find(pool, &user, &id)
        .await?
        .ok_or_else(|| BcError::ResourceNotFound("userPermissions".to_owned()))?;
    IfMatch::from_headers(call.headers).check(&etag(&assignment.id, 1))?;
    access::unassign_id(pool, &user, &id).await?;
    Ok(no_content())
}

/// GET `permissionSets`: the sample's catalogue.
pub(crate) fn list_sets(call: &Call<'_>, fragment: &str) -> Response {
    let values = CATALOGUE
        .iter()
        .map(|set| {
            let value = json!({
                "@odata.etag": etag(set.role_id, 1),
                "id": set.role_id,
                "displayName": set.display_name,
                "scope": set.scope,
                "appId": SYSTEM_APP_ID,
                "extensionName": "",
            });
            match value {
                Value::Object(map) => map,
                _ => Map::new(),
            }
        })
        .collect();
    collection(call.context(fragment), values, None)
}
