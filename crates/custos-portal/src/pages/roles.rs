//! Expose an API (the Application ID URI and delegated scopes) and App roles of an app
//! registration. New roles and scopes are appended to the lists Graph returned and written
//! back with one PATCH, so Graph's checks (unique values, allowed member types) decide.

use super::{Notice, done};
use crate::api::{ApiError, encode};
use crate::form::{Ctx, Posted};
use crate::layout::{self, s};
use crate::pages::apps::{app_page, load};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::{Value, json};

/// Allowed member types offered for a new role, as the Azure portal words them.
const MEMBER_TYPES: &[(&str, &str)] = &[
    ("Application", "Applications"),
    ("User", "Users/Groups"),
    ("Both", "Both (Users/Groups + Applications)"),
];

async fn render_expose(ctx: &Ctx, id: &str, notice: &Notice, error: Option<&ApiError>) -> Response {
    let app = match load(ctx, id, "Expose an API").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let uri =
        layout::list(&app, "identifierUris").first().and_then(Value::as_str).unwrap_or_default().to_owned();
    let suggested = format!("api://{}", s(&app, "appId"));
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| match d {
            "uri" => Some("The Application ID URI was saved."),
            "scope" => Some("The scope was added."),
            _ => None,
        }))
        (layout::maybe_error(error))
        form.panel method="post" action={ "/portal/apps/" (id) "/expose" } {
            (ctx.csrf())
            label for="identifierUri" { "Application ID URI" }
            input #identifierUri type="text" name="identifierUri" value=(if uri.is_empty() { &suggested } else { &uri });
            p.hint { "Clients ask for " code { "{Application ID URI}/.default" } ". Leave it empty to remove it." }
            div.actions { button type="submit" { "Save" } }
        }
        h2 { "Scopes defined by this API" }
        div.scroll { table.stack {
            thead { tr { th { "Scope" } th { "Who can consent" } th { "Admin consent display name" } th { "State" } } }
            tbody {
                @for scope in layout::list(&app["api"], "oauth2PermissionScopes") {
                    tr {
                        td data-label="Scope" { code { (s(scope, "value")) } }
                        td data-label="Consent" { @if s(scope, "type") == "User" { "Admins and users" } @else { "Admins only" } }
                        td data-label="Name" { (s(scope, "adminConsentDisplayName")) }
                        td data-label="State" { @if scope["isEnabled"] == json!(false) { "Disabled" } @else { "Enabled" } }
                    }
                }
            }
        } }
        form.panel method="post" action={ "/portal/apps/" (id) "/scopes" } {
            (ctx.csrf())
            label for="scope-value" { "Scope name" }
            input #scope-value type="text" name="value" required placeholder="Files.Read";
            fieldset {
                legend { "Who can consent?" }
                label.inline { input type="radio" name="type" value="Admin" checked; "Admins only" }
                label.inline { input type="radio" name="type" value="User"; "Admins and users" }
            }
            label for="scope-admin-name" { "Admin consent display name" }
            input #scope-admin-name type="text" name="adminConsentDisplayName" required;
            label for="scope-admin-description" { "Admin consent description" }
            input #scope-admin-description type="text" name="adminConsentDescription" required;
            label for="scope-user-name" { "User consent display name (optional)" }
            input #scope-user-name type="text" name="userConsentDisplayName";
            label for="scope-user-description" { "User consent description (optional)" }
            input #scope-user-description type="text" name="userConsentDescription";
            div.actions { button type="submit" { "Add scope" } }
        }
    };
    app_page(ctx, &app, "/expose", status, content)
}

/// `GET /portal/apps/{id}/expose`
pub(crate) async fn expose(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render_expose(&ctx, &id, &notice, None).await
}

/// `POST /portal/apps/{id}/expose`: PATCH `identifierUris`.
pub(crate) async fn save_expose(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let uris: Vec<&str> = fields.get("identifierUri").into_iter().collect();
    let path = format!("/v1.0/applications/{}", encode(&id));
    match ctx.api().patch(&path, json!({ "identifierUris": uris })).await {
        Ok(_) => done(&format!("/portal/apps/{id}/expose"), "uri"),
        Err(e) => render_expose(&ctx, &id, &Notice::default(), Some(&e)).await,
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `POST /portal/apps/{id}/scopes`: PATCH `api.oauth2PermissionScopes` with one more.
pub(crate) async fn add_scope(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let app = match load(&ctx, &id, "Expose an API").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let mut scopes = layout::list(&app["api"], "oauth2PermissionScopes").to_vec();
    let optional = |name: &str| fields.get(name).map_or(Value::Null, |v| json!(v));
    scopes.push(json!({
        "id": new_id(),
        "value": fields.text("value"),
        "type": if fields.get("type") == Some("User") { "User" } else { "Admin" },
        "adminConsentDisplayName": fields.text("adminConsentDisplayName"),
        "adminConsentDescription": fields.text("adminConsentDescription"),
        "userConsentDisplayName": optional("userConsentDisplayName"),
        "userConsentDescription": optional("userConsentDescription"),
        "isEnabled": true,
    }));
    let api = json!({
        "requestedAccessTokenVersion": app["api"]["requestedAccessTokenVersion"],
        "oauth2PermissionScopes": scopes,
    });
    match ctx.api().patch(&format!("/v1.0/applications/{}", encode(&id)), json!({ "api": api })).await {
        Ok(_) => done(&format!("/portal/apps/{id}/expose"), "scope"),
        Err(e) => render_expose(&ctx, &id, &Notice::default(), Some(&e)).await,
    }
}

async fn render_roles(ctx: &Ctx, id: &str, notice: &Notice, error: Option<&ApiError>) -> Response {
    let app = match load(ctx, id, "App roles").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| (d == "role").then_some("The app role was created.")))
        (layout::maybe_error(error))
        div.scroll { table.stack {
            thead { tr { th { "Display name" } th { "Value" } th { "Allowed member types" } th { "Description" } th { "State" } th { "ID" } } }
            tbody {
                @for role in layout::list(&app, "appRoles") {
                    tr {
                        td data-label="Name" { (s(role, "displayName")) }
                        td data-label="Value" { code { (s(role, "value")) } }
                        td data-label="Members" {
                            (layout::list(role, "allowedMemberTypes").iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                        }
                        td data-label="Description" { (s(role, "description")) }
                        td data-label="State" { @if role["isEnabled"] == json!(false) { "Disabled" } @else { "Enabled" } }
                        td data-label="ID" { code { (s(role, "id")) } }
                    }
                }
            }
        } }
        h2 { "Create app role" }
        form.panel method="post" action={ "/portal/apps/" (id) "/roles" } {
            (ctx.csrf())
            label for="role-name" { "Display name" }
            input #role-name type="text" name="displayName" required;
            fieldset {
                legend { "Allowed member types" }
                @for (value, label) in MEMBER_TYPES {
                    label.inline { input type="radio" name="members" value=(value) checked[*value == "Application"]; (label) }
                }
            }
            label for="role-value" { "Value" }
            input #role-value type="text" name="value" required placeholder="S2SAppRole";
            label for="role-description" { "Description" }
            input #role-description type="text" name="description" required;
            label.inline { input type="checkbox" name="enabled" checked; "Do you want to enable this app role?" }
            div.actions { button type="submit" { "Apply" } }
        }
    };
    app_page(ctx, &app, "/roles", status, content)
}

/// `GET /portal/apps/{id}/roles`
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render_roles(&ctx, &id, &notice, None).await
}

/// `POST /portal/apps/{id}/roles`: PATCH `appRoles` with one more.
pub(crate) async fn add_role(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let app = match load(&ctx, &id, "App roles").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let members: &[&str] = match fields.get("members") {
        Some("User") => &["User"],
        Some("Both") => &["User", "Application"],
        _ => &["Application"],
    };
    let mut roles = layout::list(&app, "appRoles").to_vec();
    roles.push(json!({
        "id": new_id(),
        "allowedMemberTypes": members,
        "displayName": fields.text("displayName"),
        "value": fields.text("value"),
        "description": fields.text("description"),
        "isEnabled": fields.checked("enabled"),
    }));
    match ctx.api().patch(&format!("/v1.0/applications/{}", encode(&id)), json!({ "appRoles": roles })).await
    {
        Ok(_) => done(&format!("/portal/apps/{id}/roles"), "role"),
        Err(e) => render_roles(&ctx, &id, &Notice::default(), Some(&e)).await,
    }
}
