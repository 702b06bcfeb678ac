//! Users: the list and creation, and for one user their directory roles (Global
//! Administrator given or taken away), a password reset and enabling or disabling sign-in.

use super::{Notice, done};
use crate::api::{ApiError, encode, literal};
use crate::form::{Ctx, Posted};
use crate::layout::{self, Nav, s};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use custos_core::users::{DIRECTORY_ROLES, GLOBAL_ADMINISTRATOR};
use maud::html;
use serde_json::{Value, json};

const USERS: &str = "/v1.0/users";
const ROLE_ASSIGNMENTS: &str = "/v1.0/roleManagement/directory/roleAssignments";
const SELECT: &str = "$select=id,displayName,userPrincipalName,accountEnabled,createdDateTime";

async fn render_list(ctx: &Ctx, notice: &Notice, error: Option<&ApiError>) -> Response {
    let users = match ctx.api().get(&format!("{USERS}?$top=999&{SELECT}")).await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(ctx, Nav::Users, "Users", &e),
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| (d == "deleted").then_some("The user was deleted.")))
        (layout::maybe_error(error))
        div.scroll { table.stack {
            thead { tr { th { "Display name" } th { "User principal name" } th { "Sign-in allowed" } } }
            tbody {
                @for user in layout::list(&users, "value") {
                    tr {
                        td data-label="Name" { a href={ "/portal/users/" (s(user, "id")) } { (s(user, "displayName")) } }
                        td data-label="UPN" { (s(user, "userPrincipalName")) }
                        td data-label="Enabled" { @if user["accountEnabled"] == json!(false) { "No" } @else { "Yes" } }
                    }
                }
            }
        } }
        h2 { "New user" }
        form.panel method="post" action="/portal/users" {
            (ctx.csrf())
            label for="upn" { "User principal name" }
            input #upn type="text" name="userPrincipalName" required placeholder="alice@contoso.custos.local";
            label for="user-name" { "Display name" }
            input #user-name type="text" name="displayName" required;
            label for="user-password" { "Password" }
            input #user-password type="password" name="password" required autocomplete="new-password";
            label.inline { input type="checkbox" name="admin"; "Global Administrator" }
            div.actions { button type="submit" { "Create" } }
        }
    };
    layout::page_with(status, ctx, Nav::Users, "Users", content)
}

/// `GET /portal/users`
pub(crate) async fn list(ctx: Ctx, Query(notice): Query<Notice>) -> Response {
    render_list(&ctx, &notice, None).await
}

fn make_admin(id: &str) -> Value {
    json!({ "roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": id, "directoryScopeId": "/" })
}

/// `POST /portal/users`: the user, then the role when asked.
pub(crate) async fn create(Posted { ctx, fields }: Posted) -> Response {
    let body = json!({
        "accountEnabled": true,
        "displayName": fields.text("displayName"),
        "userPrincipalName": fields.text("userPrincipalName"),
        "passwordProfile": { "forceChangePasswordNextSignIn": false, "password": fields.text("password") },
    });
    let api = ctx.api();
    let user = match api.post(USERS, body).await {
        Ok(user) => user,
        Err(e) => return render_list(&ctx, &Notice::default(), Some(&e)).await,
    };
    let id = s(&user, "id");
    if fields.checked("admin")
        && let Err(e) = api.post(ROLE_ASSIGNMENTS, make_admin(id)).await
    {
        return render(&ctx, id, &Notice::default(), Some(&e)).await;
    }
    Redirect::to(&format!("/portal/users/{id}?done=created")).into_response()
}

async fn render(ctx: &Ctx, id: &str, notice: &Notice, error: Option<&ApiError>) -> Response {
    let api = ctx.api();
    let user = match api.get(&format!("{USERS}/{}?{SELECT}", encode(id))).await {
        Ok(user) => user,
        Err(e) => return layout::failed(ctx, Nav::Users, "User", &e),
    };
    let filter = encode(&format!("principalId eq {}", literal(id)));
    let roles = match api.get(&format!("{ROLE_ASSIGNMENTS}?$filter={filter}")).await {
        Ok(answer) => layout::list(&answer, "value").to_vec(),
        Err(e) => return layout::failed(ctx, Nav::Users, s(&user, "displayName"), &e),
    };
    let admin = roles.iter().any(|r| s(r, "roleDefinitionId") == GLOBAL_ADMINISTRATOR.to_string());
    let enabled = user["accountEnabled"] != json!(false);
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let base = format!("/portal/users/{id}");
    let content = html! {
        (notice.banner(|d| match d {
            "created" => Some("The user was created."),
            "password" => Some("The password was reset; the user's refresh tokens were revoked."),
            "enabled" => Some("Sign-in was allowed."),
            "disabled" => Some("Sign-in was blocked."),
            "admin" => Some("The directory roles were changed."),
            _ => None,
        }))
        (layout::maybe_error(error))
        section.panel {
            dl.facts {
                dt { "User principal name" } dd { (s(&user, "userPrincipalName")) }
                dt { "Object ID" } dd { (layout::copyable("object-id", s(&user, "id"))) }
                dt { "Sign-in allowed" } dd { @if enabled { "Yes" } @else { "No" } }
                dt { "Directory roles" } dd {
                    @for (i, r) in roles.iter().enumerate() {
                        @if i > 0 { ", " }
                        (DIRECTORY_ROLES.iter().find(|(role, _)| role.to_string() == s(r, "roleDefinitionId")).map_or(s(r, "roleDefinitionId"), |(_, name)| name))
                    }
                    @if roles.is_empty() { "None" }
                }
            }
        }
        h2 { "Administrator" }
        form.panel method="post" action={ (base) "/admin" } {
            (ctx.csrf())
            input type="hidden" name="admin" value=(if admin { "remove" } else { "add" });
            @if admin { button.danger type="submit" { "Remove the Global Administrator role" } }
            @else { button type="submit" { "Make Global Administrator" } }
        }
        h2 { "Reset password" }
        form.panel method="post" action={ (base) "/password" } {
            (ctx.csrf())
            label for="new-password" { "New password" }
            input #new-password type="password" name="password" required autocomplete="new-password";
            div.actions { button type="submit" { "Reset password" } }
        }
        h2 { "Sign-in" }
        form.panel method="post" action={ (base) "/enabled" } {
            (ctx.csrf())
            input type="hidden" name="enabled" value=(if enabled { "false" } else { "true" });
            @if enabled { button.danger type="submit" { "Block sign-in" } } @else { button type="submit" { "Allow sign-in" } }
        }
    };
    layout::page_with(status, ctx, Nav::Users, s(&user, "displayName"), content)
}

/// `GET /portal/users/{id}`
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render(&ctx, &id, &notice, None).await
}

async fn finish(ctx: &Ctx, id: &str, result: Result<Value, ApiError>, what: &str) -> Response {
    match result {
        Ok(_) => done(&format!("/portal/users/{id}"), what),
        Err(e) => render(ctx, id, &Notice::default(), Some(&e)).await,
    }
}

/// `POST /portal/users/{id}/password`
pub(crate) async fn reset_password(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let body = json!({ "passwordProfile": { "password": fields.text("password") } });
    let result = ctx.api().patch(&format!("{USERS}/{}", encode(&id)), body).await;
    finish(&ctx, &id, result, "password").await
}

/// `POST /portal/users/{id}/enabled`
pub(crate) async fn set_enabled(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let enabled = fields.get("enabled") == Some("true");
    let result =
        ctx.api().patch(&format!("{USERS}/{}", encode(&id)), json!({ "accountEnabled": enabled })).await;
    finish(&ctx, &id, result, if enabled { "enabled" } else { "disabled" }).await
}

/// `POST /portal/users/{id}/admin`: adds or removes the Global Administrator role.
pub(crate) async fn set_admin(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let api = ctx.api();
    let result = if fields.get("admin") == Some("remove") {
        let filter = encode(&format!("principalId eq {}", literal(&id)));
        match api.get(&format!("{ROLE_ASSIGNMENTS}?$filter={filter}")).await {
            Ok(answer) => {
                let global = layout::list(&answer, "value")
                    .iter()
                    .find(|r| s(r, "roleDefinitionId") == GLOBAL_ADMINISTRATOR.to_string())
                    .map(|r| s(r, "id").to_owned());
                match global {
                    Some(assignment) => {
                        api.delete(&format!("{ROLE_ASSIGNMENTS}/{}", encode(&assignment))).await
                    }
                    None => Ok(Value::Null),
                }
            }
            Err(e) => Err(e),
        }
    } else {
        api.post(ROLE_ASSIGNMENTS, make_admin(&id)).await
    };
    finish(&ctx, &id, result, "admin").await
}
