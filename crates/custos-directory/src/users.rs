//! `/v1.0/users`, `/v1.0/users/{id|userPrincipalName}`, `revokeSignInSessions` and `/v1.0/me`:
//! users of the caller's tenant with Entra's rules (`entra-user-flows.md` §8.1): the UPN's
//! syntax and that its domain is the tenant's, the password policy, unique UPNs. Passwords are
//! stored only as Argon2id hashes and never returned. A password reset, a disabled account and
//! `revokeSignInSessions` void the user's refresh tokens.

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, JsonObject, invalid_value};
use crate::error::GraphError;
use crate::listing::{self, Read};
use crate::odata::{Eventual, ListQuery, count_response, entity_response, entity_select};
use crate::user_admins::ensure_not_last_admin;
use crate::user_shapes::{self, USER};
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use custos_core::ObjectId;
use custos_core::audit::Activity;
use custos_core::users::{User, check_password_complexity, check_user_principal_name};
use custos_store::StoreError;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

const RESOURCE: &str = "User";
const MAX_DISPLAY_NAME: usize = 256;
const MAX_NAME_PART: usize = 64;
const MAX_MAIL_NICKNAME: usize = 64;

fn required(property: &str) -> GraphError {
    GraphError::BadRequest(format!("A value is required for property '{property}' of resource '{RESOURCE}'."))
}

/// `passwordProfile` as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PasswordProfile {
    password: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "custos has no forced password change; accepted for Graph clients")]
    force_change_password_next_sign_in: Option<bool>,
    #[serde(default)]
    #[allow(dead_code, reason = "custos has no forced password change; accepted for Graph clients")]
    force_change_password_next_sign_in_with_mfa: Option<bool>,
}

/// The new password of a body's `passwordProfile`, checked against the policy.
fn new_password(body: &mut JsonObject) -> Result<Option<String>, GraphError> {
    let Some(profile) = body.take::<PasswordProfile>("passwordProfile", RESOURCE)? else { return Ok(None) };
    let password = profile.password.ok_or_else(|| required("passwordProfile.password"))?;
    check_password_complexity(&password).map_err(|e| GraphError::BadRequest(e.to_string()))?;
    Ok(Some(password))
}

fn hash(password: &str) -> Result<String, GraphError> {
    custos_jose::password::hash(password).map_err(|e| {
        tracing::warn!(error = %e, "cannot hash a user password");
        GraphError::Unavailable
    })
}

fn check_display_name(name: &str) -> Result<(), GraphError> {
    if name.trim().is_empty() || name.chars().count() > MAX_DISPLAY_NAME {
        return Err(invalid_value("displayName", RESOURCE));
    }
    Ok(())
}

fn name_part(body: &mut JsonObject, property: &str) -> Result<Option<Option<String>>, GraphError> {
    let value: Option<Option<String>> = body.take(property, RESOURCE)?;
    if let Some(Some(v)) = &value
        && v.chars().count() > MAX_NAME_PART
    {
        return Err(invalid_value(property, RESOURCE));
    }
    Ok(value)
}

/// Entra's `mailNickname`: 1–64 printable ASCII characters without space or any of
/// `@ ( ) < > [ ] \ ; : , "`.
fn check_mail_nickname(nickname: &str) -> Result<(), GraphError> {
    let ok = !nickname.is_empty()
        && nickname.len() <= MAX_MAIL_NICKNAME
        && nickname.bytes().all(|b| b.is_ascii_graphic() && !b"@()<>[]\\;:,\"".contains(&b));
    if ok { Ok(()) } else { Err(invalid_value("mailNickname", RESOURCE)) }
}

/// Finds a user of the caller's tenant by object id or user principal name.
pub(crate) async fn find(state: &DirectoryState, caller: &Caller, key: &str) -> Result<User, GraphError> {
    let found = match key.parse::<ObjectId>() {
        Ok(id) => state.store.user(caller.tenant_id, id).await?,
        Err(_) => state.store.user_by_upn(caller.tenant_id, key).await?,
    };
    found.ok_or_else(|| GraphError::NotFound(key.to_owned()))
}

/// A single user's response: the default properties, or what `$select` names.
fn single(state: &DirectoryState, user: &User, query: Option<&str>) -> Result<Json<Value>, GraphError> {
    let select = entity_select(query, &USER)?;
    let mut item = user_shapes::user(user);
    if select.is_none() {
        item = user_shapes::user_defaults(item);
    }
    Ok(Json(entity_response(state.origins.graph(), "users", item, select.as_deref())))
}

/// `GET /v1.0/users`: filtered, searched and sorted on every property, then reduced to Graph's
/// default set unless `$select` names others (read as [`crate::listing`] says).
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    eventual: Eventual,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadUsers)?;
    let query = ListQuery::parse_with(query.as_deref(), &USER, eventual)?;
    let read = Read::of(&query);
    let _permit = read.permit(&state.whole_reads).await?;
    let users = match read {
        Read::Keyset => return listing::users_page(&state, caller, &query).await,
        Read::Pinned(key, values) => {
            listing::pinned::users(state.store.as_ref(), caller.tenant_id, key, &values).await?
        }
        Read::Whole => state.store.users(caller.tenant_id).await?,
    };
    let items = users.iter().map(user_shapes::user).collect();
    let Json(mut page) = state.list_page(caller.tenant_id, "users", &query, items)?;
    if !query.has_select()
        && let Some(Value::Array(values)) = page.get_mut("value")
    {
        for value in values.iter_mut() {
            *value = user_shapes::user_defaults(std::mem::take(value));
        }
    }
    Ok(Json(page))
}

/// `GET /v1.0/users/$count`
pub(crate) async fn count(
    State(state): State<DirectoryState>,
    auth: Authed,
    eventual: Eventual,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    let caller = auth.require(Permission::ReadUsers)?;
    let _permit = state.whole_reads.admit().await?;
    let items: Vec<Value> =
        state.store.users(caller.tenant_id).await?.iter().map(user_shapes::user).collect();
    count_response(query.as_deref(), &USER, eventual, &items)
}

/// `POST /v1.0/users`
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = auth.require(Permission::WriteUsers)?;
    let mut body = body?.required()?.only(&[
        "accountEnabled",
        "displayName",
        "givenName",
        "mailNickname",
        "passwordPolicies",
        "passwordProfile",
        "surname",
        "userPrincipalName",
    ])?;
    let account_enabled: bool =
        body.take("accountEnabled", RESOURCE)?.ok_or_else(|| required("accountEnabled"))?;
    let display_name: String = body.take("displayName", RESOURCE)?.ok_or_else(|| required("displayName"))?;
    check_display_name(&display_name)?;
    let upn: String =
        body.take("userPrincipalName", RESOURCE)?.ok_or_else(|| required("userPrincipalName"))?;
    let (local, domain) =
        check_user_principal_name(&upn).map_err(|_| invalid_value("userPrincipalName", RESOURCE))?;
    let tenant = crate::resolve::tenant(state.store.as_ref(), caller.tenant_id).await?;
    if !domain.eq_ignore_ascii_case(&tenant.domain) {
        return Err(GraphError::BadRequest(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."
                .to_owned(),
        ));
    }
    let mail_nickname: String = body.take("mailNickname", RESOURCE)?.unwrap_or_else(|| local.to_owned());
    check_mail_nickname(&mail_nickname)?;
    let given_name = name_part(&mut body, "givenName")?.flatten();
    let surname = name_part(&mut body, "surname")?.flatten();
    let _policies: Option<Option<String>> = body.take("passwordPolicies", RESOURCE)?;
    let password = new_password(&mut body)?.ok_or_else(|| required("passwordProfile"))?;
    if state.store.user_by_upn(caller.tenant_id, &upn).await?.is_some() {
        return Err(GraphError::ObjectConflict("userPrincipalName"));
    }
    let now = state.clock.now();
    let user = User {
        id: ObjectId::new_random(),
        tenant_id: caller.tenant_id,
        user_principal_name: upn,
        display_name,
        given_name,
        surname,
        mail_nickname,
        mail: None,
        account_enabled,
        tokens_valid_from: now,
        created: now,
    };
    let record = audit::context(&state, caller).await.record(
        user.tenant_id,
        Activity::AddUser,
        audit::user_added(&user),
    );
    state.store.create_user(&user, &hash(&password)?, &[record]).await.map_err(|e| match e {
        StoreError::Conflict(_) => GraphError::ObjectConflict("userPrincipalName"),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "user created");
    let item = user_shapes::user_defaults(user_shapes::user(&user));
    Ok((StatusCode::CREATED, Json(entity_response(state.origins.graph(), "users", item, None))))
}

/// `GET /v1.0/users/{id|userPrincipalName}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadUsers)?;
    let user = find(&state, caller, &key).await?;
    single(&state, &user, query.as_deref())
}

/// `GET /v1.0/me`: the signed-in user of a delegated token.
pub(crate) async fn me(
    State(state): State<DirectoryState>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    if auth.caller().scopes.is_none() {
        return Err(GraphError::NotDelegated);
    }
    let caller = auth.require(Permission::ReadMe)?;
    let user = find(&state, caller, &caller.object_id.to_string()).await?;
    single(&state, &user, query.as_deref())
}

/// Voids the user's sessions and refresh tokens issued before `now`.
async fn revoke_sessions(state: &DirectoryState, user: &mut User) -> Result<(), GraphError> {
    let now = state.clock.now();
    user.tokens_valid_from = now;
    state.store.revoke_refresh_grants(user.tenant_id, user.id, None, now.unix_timestamp()).await?;
    Ok(())
}

/// `PATCH /v1.0/users/{id|userPrincipalName}`
pub(crate) async fn patch(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteUsers)?;
    let mut user = find(&state, caller, &key).await?;
    let before = user.clone();
    let mut body = body?.required()?.only(&[
        "accountEnabled",
        "displayName",
        "givenName",
        "surname",
        "passwordProfile",
    ])?;
    if let Some(name) = body.take::<String>("displayName", RESOURCE)? {
        check_display_name(&name)?;
        user.display_name = name;
    }
    if let Some(given) = name_part(&mut body, "givenName")? {
        user.given_name = given;
    }
    if let Some(surname) = name_part(&mut body, "surname")? {
        user.surname = surname;
    }
    let password = new_password(&mut body)?;
    if let Some(enabled) = body.take::<bool>("accountEnabled", RESOURCE)? {
        if !enabled && user.account_enabled {
            ensure_not_last_admin(&state, user.tenant_id, user.id, None).await?;
            revoke_sessions(&state, &mut user).await?;
        }
        user.account_enabled = enabled;
    }
    let context = audit::context(&state, caller).await;
    let password_changed = password.is_some();
    if let Some(password) = password {
        revoke_sessions(&state, &mut user).await?;
        let record = context.record(user.tenant_id, Activity::ResetUserPassword, audit::user(&user));
        state
            .store
            .set_user_password(user.tenant_id, user.id, &hash(&password)?, user.tokens_valid_from, &[record])
            .await?;
    }
    let record = context.record(
        user.tenant_id,
        Activity::UpdateUser,
        audit::user_updated(&before, &user, password_changed),
    );
    state.store.update_user(&user, &[record]).await.map_err(|e| match e {
        StoreError::NotFound => GraphError::NotFound(key.clone()),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "user updated");
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1.0/users/{id|userPrincipalName}`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteUsers)?;
    let user = find(&state, caller, &key).await?;
    ensure_not_last_admin(&state, user.tenant_id, user.id, None).await?;
    let record =
        audit::context(&state, caller).await.record(user.tenant_id, Activity::DeleteUser, audit::user(&user));
    state.store.delete_user(user.tenant_id, user.id, &[record]).await.map_err(|e| match e {
        StoreError::NotFound => GraphError::NotFound(key.clone()),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1.0/users/{id|userPrincipalName}/revokeSignInSessions`
pub(crate) async fn revoke_sign_in_sessions(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::WriteUsers)?;
    let mut user = find(&state, caller, &key).await?;
    revoke_sessions(&state, &mut user).await?;
    let record = audit::context(&state, caller).await.record(
        user.tenant_id,
        Activity::UpdateStsRefreshTokenValidFrom,
        audit::user(&user),
    );
    state.store.update_user(&user, &[record]).await?;
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "user sign-in sessions revoked");
    let context = format!("{}/v1.0/$metadata#Edm.Boolean", state.origins.graph());
    Ok(Json(json!({"@odata.context": context, "value": true})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_nicknames_follow_entra_s_rules() {
        assert!(check_mail_nickname("AdeleV").is_ok());
        assert!(check_mail_nickname("o'neil.j_x!#^~-1").is_ok());
        for bad in ["", "a b", "a@b", "a;b", "ä", &"x".repeat(65)] {
            assert_eq!(check_mail_nickname(bad), Err(invalid_value("mailNickname", RESOURCE)), "{bad}");
        }
    }
}
