//! Enterprise applications (service principals): the list, properties (enabled, assignment
//! required), who is assigned the application's roles (applications and managed identities),
//! and what the application was granted as a client, with revocation.

use super::{Notice, done};
use crate::api::{ApiError, encode, literal};
use crate::form::{Ctx, Posted};
use crate::layout::{self, Nav, s};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};
use std::collections::HashMap;

/// `GET /portal/enterprise?search=`
pub(crate) async fn list(ctx: Ctx, Query(notice): Query<Notice>) -> Response {
    let search = notice.search.as_deref().unwrap_or_default();
    let path = super::search_path("/v1.0/servicePrincipals", search);
    let principals = match ctx.api().get(&path).await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(&ctx, Nav::Enterprise, "Enterprise applications", &e),
    };
    let content = html! {
        form.toolbar method="get" action="/portal/enterprise" role="search" {
            label for="search" { "Search by name" }
            input #search type="search" name="search" value=(search) placeholder="Starts with…";
            button.secondary type="submit" { "Search" }
        }
        div.scroll { table.stack {
            thead { tr { th { "Name" } th { "Application ID" } th { "Type" } th { "Enabled" } } }
            tbody {
                @for sp in layout::list(&principals, "value") {
                    tr {
                        td data-label="Name" { a href={ "/portal/enterprise/" (s(sp, "id")) } { (s(sp, "displayName")) } }
                        td data-label="Application ID" { code { (s(sp, "appId")) } }
                        td data-label="Type" { (s(sp, "servicePrincipalType")) }
                        td data-label="Enabled" { @if sp["accountEnabled"] == json!(false) { "No" } @else { "Yes" } }
                    }
                }
            }
        } }
    };
    layout::page(&ctx, Nav::Enterprise, "Enterprise applications", content)
}

/// Every service principal of the tenant by id (names and roles for the tables).
pub(crate) async fn principals(ctx: &Ctx) -> Result<HashMap<String, Value>, ApiError> {
    let answer = ctx.api().get("/v1.0/servicePrincipals?$top=999").await?;
    Ok(layout::list(&answer, "value").iter().map(|sp| (s(sp, "id").to_owned(), sp.clone())).collect())
}

/// The value of role `role_id` of `resource`, or the id.
pub(crate) fn role_name<'v>(resource: Option<&'v Value>, role_id: &'v str) -> &'v str {
    resource
        .and_then(|r| layout::list(r, "appRoles").iter().find(|role| s(role, "id") == role_id))
        .map_or(role_id, |role| s(role, "value"))
}

/// A table of app role assignments held by a principal, with revoke buttons posting to
/// `{revoke}/{assignment id}/delete`.
pub(crate) fn held_roles(
    ctx: &Ctx,
    assignments: &[Value],
    all: &HashMap<String, Value>,
    revoke: &str,
) -> Markup {
    html! {
        div.scroll { table.stack {
            thead { tr { th { "Resource" } th { "Role" } th { "Granted" } th {} } }
            tbody {
                @for a in assignments {
                    tr {
                        td data-label="Resource" { (s(a, "resourceDisplayName")) }
                        td data-label="Role" { code { (role_name(all.get(s(a, "resourceId")), s(a, "appRoleId"))) } }
                        td data-label="Granted" { (layout::when(a, "createdDateTime")) }
                        td { form.inline method="post" action={ (revoke) "/" (s(a, "id")) "/delete" } data-confirm="Revoke this role?" {
                            (ctx.csrf()) button.danger type="submit" { "Revoke" }
                        } }
                    }
                }
            }
        } }
        @if assignments.is_empty() { p.muted { "None." } }
    }
}

/// Options `resourceId:appRoleId` for every application role of every API in `all`.
pub(crate) fn role_options(all: &HashMap<String, Value>) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = all
        .values()
        .flat_map(|sp| {
            layout::list(sp, "appRoles")
                .iter()
                .filter(|r| {
                    layout::list(r, "allowedMemberTypes").iter().any(|t| t.as_str() == Some("Application"))
                })
                .map(move |r| {
                    (
                        format!("{}:{}", s(sp, "id"), s(r, "id")),
                        format!("{} · {}", s(sp, "displayName"), s(r, "value")),
                    )
                })
        })
        .collect();
    options.sort_by(|a, b| a.1.cmp(&b.1));
    options
}

async fn render(ctx: &Ctx, id: &str, notice: &Notice, error: Option<&ApiError>) -> Response {
    let api = ctx.api();
    let sp = match api.get(&format!("/v1.0/servicePrincipals/{}", encode(id))).await {
        Ok(sp) => sp,
        Err(e) => return layout::failed(ctx, Nav::Enterprise, "Enterprise application", &e),
    };
    let loaded = async {
        let all = principals(ctx).await?;
        let assigned = api.get(&format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", encode(id))).await?;
        let held = api.get(&format!("/v1.0/servicePrincipals/{}/appRoleAssignments", encode(id))).await?;
        let filter = encode(&format!("clientId eq {}", literal(id)));
        let grants = api.get(&format!("/v1.0/oauth2PermissionGrants?$filter={filter}")).await?;
        Ok::<_, ApiError>((all, assigned, held, grants))
    };
    let (all, assigned, held, grants) = match loaded.await {
        Ok(found) => found,
        Err(e) => return layout::failed(ctx, Nav::Enterprise, s(&sp, "displayName"), &e),
    };
    let roles: Vec<&Value> = layout::list(&sp, "appRoles")
        .iter()
        .filter(|r| layout::list(r, "allowedMemberTypes").iter().any(|t| t.as_str() == Some("Application")))
        .collect();
    let base = format!("/portal/enterprise/{id}");
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| match d {
            "saved" => Some("The properties were saved."),
            "assigned" => Some("The role was assigned."),
            "unassigned" => Some("The assignment was removed."),
            "revoked" => Some("The permission was revoked."),
            _ => None,
        }))
        (layout::maybe_error(error))
        section.panel {
            dl.facts {
                dt { "Application ID" } dd { (layout::copyable("app-id", s(&sp, "appId"))) }
                dt { "Object ID" } dd { (layout::copyable("object-id", s(&sp, "id"))) }
                dt { "Type" } dd { (s(&sp, "servicePrincipalType")) }
            }
        }
        h2 { "Properties" }
        form.panel method="post" action={ (base) "/properties" } {
            (ctx.csrf())
            label.inline { input type="checkbox" name="accountEnabled" checked[sp["accountEnabled"] != json!(false)]; "Enabled for users and applications to sign in" }
            label.inline { input type="checkbox" name="appRoleAssignmentRequired" checked[sp["appRoleAssignmentRequired"] == json!(true)]; "Assignment required" }
            div.actions { button type="submit" { "Save" } }
        }
        h2 { "Assigned to (applications and managed identities holding its roles)" }
        div.scroll { table.stack {
            thead { tr { th { "Principal" } th { "Type" } th { "Role" } th { "Assigned" } th {} } }
            tbody {
                @for a in layout::list(&assigned, "value") {
                    tr {
                        td data-label="Principal" { (s(a, "principalDisplayName")) }
                        td data-label="Type" { (all.get(s(a, "principalId")).map_or(s(a, "principalType"), |p| s(p, "servicePrincipalType"))) }
                        td data-label="Role" { code { (role_name(Some(&sp), s(a, "appRoleId"))) } }
                        td data-label="Assigned" { (layout::when(a, "createdDateTime")) }
                        td { form.inline method="post" action={ (base) "/assignments/" (s(a, "id")) "/delete" } data-confirm="Remove this assignment?" {
                            (ctx.csrf()) button.danger type="submit" { "Remove" }
                        } }
                    }
                }
            }
        } }
        @if !roles.is_empty() {
            form.panel method="post" action={ (base) "/assignments" } {
                (ctx.csrf())
                label for="principal" { "Assign to" }
                select #principal name="principalId" required {
                    @for p in sorted(&all) { option value=(s(p, "id")) { (s(p, "displayName")) " (" (s(p, "servicePrincipalType")) ")" } }
                }
                label for="role" { "Role" }
                select #role name="appRoleId" required {
                    @for r in &roles { option value=(s(r, "id")) { (s(r, "value")) " · " (s(r, "displayName")) } }
                }
                div.actions { button type="submit" { "Assign" } }
            }
        }
        h2 { "Permissions granted to this application" }
        h3 { "Application permissions" }
        (held_roles(ctx, layout::list(&held, "value"), &all, &format!("{base}/granted")))
        h3 { "Delegated permissions" }
        div.scroll { table.stack {
            thead { tr { th { "Resource" } th { "Scopes" } th { "Consent type" } th {} } }
            tbody {
                @for g in layout::list(&grants, "value") {
                    tr {
                        td data-label="Resource" { (all.get(s(g, "resourceId")).map_or(s(g, "resourceId"), |r| s(r, "displayName"))) }
                        td data-label="Scopes" { code { (s(g, "scope")) } }
                        td data-label="Consent" { (s(g, "consentType")) }
                        td { form.inline method="post" action={ (base) "/grants/" (s(g, "id")) "/delete" } data-confirm="Revoke this grant?" {
                            (ctx.csrf()) button.danger type="submit" { "Revoke" }
                        } }
                    }
                }
            }
        } }
    };
    layout::page_with(status, ctx, Nav::Enterprise, s(&sp, "displayName"), content)
}

/// The principals of `all`, by name.
pub(crate) fn sorted(all: &HashMap<String, Value>) -> Vec<&Value> {
    let mut principals: Vec<&Value> = all.values().collect();
    principals.sort_by(|a, b| s(a, "displayName").cmp(s(b, "displayName")));
    principals
}

/// `GET /portal/enterprise/{id}`
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render(&ctx, &id, &notice, None).await
}

async fn finish(ctx: &Ctx, id: &str, result: Result<Value, ApiError>, what: &str) -> Response {
    match result {
        Ok(_) => done(&format!("/portal/enterprise/{id}"), what),
        Err(e) => render(ctx, id, &Notice::default(), Some(&e)).await,
    }
}

/// `POST /portal/enterprise/{id}/properties`
pub(crate) async fn save_properties(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let body = json!({
        "accountEnabled": fields.checked("accountEnabled"),
        "appRoleAssignmentRequired": fields.checked("appRoleAssignmentRequired"),
    });
    let result = ctx.api().patch(&format!("/v1.0/servicePrincipals/{}", encode(&id)), body).await;
    finish(&ctx, &id, result, "saved").await
}

/// `POST /portal/enterprise/{id}/assignments`: one of its roles to a principal.
pub(crate) async fn assign(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let body = json!({ "principalId": fields.text("principalId"), "resourceId": id, "appRoleId": fields.text("appRoleId") });
    let result =
        ctx.api().post(&format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", encode(&id)), body).await;
    finish(&ctx, &id, result, "assigned").await
}

/// `POST /portal/enterprise/{id}/assignments/{assignment}/delete`
pub(crate) async fn unassign(
    Path((id, assignment)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo/{}", encode(&id), encode(&assignment));
    let result = ctx.api().delete(&path).await;
    finish(&ctx, &id, result, "unassigned").await
}

/// `POST /portal/enterprise/{id}/granted/{assignment}/delete`: an application permission it holds.
pub(crate) async fn revoke_role(
    Path((id, assignment)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignments/{}", encode(&id), encode(&assignment));
    let result = ctx.api().delete(&path).await;
    finish(&ctx, &id, result, "revoked").await
}

/// `POST /portal/enterprise/{id}/grants/{grant}/delete`: a delegated permission grant.
pub(crate) async fn revoke_grant(
    Path((id, grant)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let result = ctx.api().delete(&format!("/v1.0/oauth2PermissionGrants/{}", encode(&grant))).await;
    finish(&ctx, &id, result, "revoked").await
}
