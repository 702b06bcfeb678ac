//! App registrations: the list with search, a new registration, the overview (ids and
//! endpoints as the Azure portal shows them), deletion, and the manifest editor (a PATCH of the
//! properties that changed, so Graph's validation and errors apply as they are).

use super::{Notice, done};
use crate::api::{ApiError, encode};
use crate::form::{Ctx, Posted};
use crate::layout::{self, Nav, s};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

/// Supported account types, as `signInAudience` values and the Azure portal's words.
pub(crate) const ACCOUNT_TYPES: &[(&str, &str)] = &[
    ("AzureADMyOrg", "Accounts in this organizational directory only (single tenant)"),
    ("AzureADMultipleOrgs", "Accounts in any organizational directory (multitenant)"),
];

/// Redirect URI platforms: the application property and its label.
const PLATFORMS: &[(&str, &str)] = &[
    ("web", "Web"),
    ("spa", "Single-page application"),
    ("publicClient", "Public client/native (mobile & desktop)"),
];

/// The registration `id` (object id), or the page showing why it cannot be read.
pub(crate) async fn load(ctx: &Ctx, id: &str, title: &str) -> Result<Value, Response> {
    ctx.api()
        .get(&format!("/v1.0/applications/{}", encode(id)))
        .await
        .map_err(|e| layout::failed(ctx, Nav::Apps, title, &e))
}

/// The page of one registration: its name as the heading, its tabs, then `content`.
pub(crate) fn app_page(ctx: &Ctx, app: &Value, tab: &str, status: StatusCode, content: Markup) -> Response {
    let id = s(app, "id");
    let body = html! {
        p.muted { "App registration · Application (client) ID " code { (s(app, "appId")) } }
        (layout::app_tabs(id, tab))
        (content)
    };
    layout::page_with(status, ctx, Nav::Apps, s(app, "displayName"), body)
}

/// `GET /portal/apps?search=`
pub(crate) async fn list(ctx: Ctx, Query(notice): Query<Notice>) -> Response {
    let search = notice.search.as_deref().unwrap_or_default();
    let path = super::search_path("/v1.0/applications", search);
    let apps = match ctx.api().get(&path).await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(&ctx, Nav::Apps, "App registrations", &e),
    };
    let content = html! {
        (notice.banner(|d| (d == "deleted").then_some("The application was deleted.")))
        div.actions { a.button href="/portal/apps/new" { "New registration" } }
        form.toolbar method="get" action="/portal/apps" role="search" {
            label for="search" { "Search by name" }
            input #search type="search" name="search" value=(search) placeholder="Starts with…";
            button.secondary type="submit" { "Search" }
        }
        div.scroll {
            table.stack {
                thead { tr { th { "Display name" } th { "Application (client) ID" } th { "Created" } th { "Account types" } } }
                tbody {
                    @for app in layout::list(&apps, "value") {
                        tr {
                            td data-label="Name" { a href={ "/portal/apps/" (s(app, "id")) } { (s(app, "displayName")) } }
                            td data-label="Client ID" { code { (s(app, "appId")) } }
                            td data-label="Created" { (layout::when(app, "createdDateTime")) }
                            td data-label="Accounts" { (s(app, "signInAudience")) }
                        }
                    }
                }
            }
        }
        @if layout::list(&apps, "value").is_empty() { p.muted { "No application matches." } }
    };
    layout::page(&ctx, Nav::Apps, "App registrations", content)
}

fn new_form(ctx: &Ctx, error: Option<&ApiError>, fields: Option<&crate::form::Fields>) -> Response {
    let value = |name: &str| fields.map(|f| f.text(name).to_owned()).unwrap_or_default();
    let audience = fields.and_then(|f| f.get("signInAudience")).unwrap_or("AzureADMyOrg").to_owned();
    let platform = fields.and_then(|f| f.get("platform")).unwrap_or("web").to_owned();
    let content = html! {
        (layout::maybe_error(error))
        form.panel method="post" action="/portal/apps/new" {
            (ctx.csrf())
            label for="displayName" { "Name" }
            input #displayName type="text" name="displayName" required value=(value("displayName"));
            fieldset {
                legend { "Supported account types" }
                @for (audience_value, label) in ACCOUNT_TYPES {
                    label.inline {
                        input type="radio" name="signInAudience" value=(audience_value) checked[audience == *audience_value];
                        (label)
                    }
                }
            }
            label for="platform" { "Redirect URI platform (optional)" }
            select #platform name="platform" {
                @for (key, label) in PLATFORMS { option value=(key) selected[platform == *key] { (label) } }
            }
            label for="redirectUri" { "Redirect URI (optional)" }
            input #redirectUri type="text" name="redirectUri" placeholder="https://app.example.com/signin-oidc" value=(value("redirectUri"));
            div.actions { button type="submit" { "Register" } a.button.secondary href="/portal/apps" { "Cancel" } }
        }
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    layout::page_with(status, ctx, Nav::Apps, "Register an application", content)
}

/// `GET /portal/apps/new`
pub(crate) async fn new_registration(ctx: Ctx) -> Response {
    new_form(&ctx, None, None)
}

/// `POST /portal/apps/new`: `POST /v1.0/applications`, then its service principal.
pub(crate) async fn create(Posted { ctx, fields }: Posted) -> Response {
    let mut body = json!({
        "displayName": fields.text("displayName"),
        "signInAudience": fields.get("signInAudience").unwrap_or("AzureADMyOrg"),
    });
    if let Some(uri) = fields.get("redirectUri") {
        let platform =
            fields.get("platform").filter(|p| PLATFORMS.iter().any(|(k, _)| k == p)).unwrap_or("web");
        body[platform] = json!({ "redirectUris": [uri] });
    }
    let api = ctx.api();
    let app = match api.post("/v1.0/applications", body).await {
        Ok(app) => app,
        Err(e) => return new_form(&ctx, Some(&e), Some(&fields)),
    };
    // As in the Azure portal, a registration made here is also an enterprise application.
    if let Err(e) = api.post("/v1.0/servicePrincipals", json!({ "appId": s(&app, "appId") })).await {
        return layout::failed(&ctx, Nav::Apps, "Register an application", &e);
    }
    Redirect::to(&format!("/portal/apps/{}?done=created", s(&app, "id"))).into_response()
}

/// `GET /portal/apps/{id}`: the overview.
pub(crate) async fn overview(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    let app = match load(&ctx, &id, "App registration").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let base = &ctx.portal.public_url;
    let tenant = ctx.tenant();
    let redirects: usize =
        ["web", "spa", "publicClient"].iter().map(|p| layout::list(&app[*p], "redirectUris").len()).sum();
    let endpoints = [
        ("OAuth 2.0 authorization endpoint (v2)", format!("{base}/{tenant}/oauth2/v2.0/authorize")),
        ("OAuth 2.0 token endpoint (v2)", format!("{base}/{tenant}/oauth2/v2.0/token")),
        ("OAuth 2.0 authorization endpoint (v1)", format!("{base}/{tenant}/oauth2/authorize")),
        ("OAuth 2.0 token endpoint (v1)", format!("{base}/{tenant}/oauth2/token")),
        (
            "OpenID Connect metadata document",
            format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"),
        ),
        ("Microsoft Graph API endpoint", format!("{base}/v1.0")),
    ];
    let content = html! {
        (notice.banner(|d| match d {
            "created" => Some("The application was registered."),
            "saved" => Some("The manifest was saved."),
            _ => None,
        }))
        section.panel {
            dl.facts {
                dt { "Display name" } dd { (s(&app, "displayName")) }
                dt { "Application (client) ID" } dd { (layout::copyable("app-id", s(&app, "appId"))) }
                dt { "Object ID" } dd { (layout::copyable("object-id", s(&app, "id"))) }
                dt { "Directory (tenant) ID" } dd { (layout::copyable("tenant-id", tenant)) }
                dt { "Supported account types" } dd { (s(&app, "signInAudience")) }
                dt { "Client credentials" } dd {
                    a href={ "/portal/apps/" (id) "/credentials" } {
                        (layout::list(&app, "passwordCredentials").len()) " secret(s), " (layout::list(&app, "keyCredentials").len()) " certificate(s)"
                    }
                }
                dt { "Redirect URIs" } dd { (redirects) }
                dt { "Application ID URI" } dd {
                    @match layout::list(&app, "identifierUris").first().and_then(Value::as_str) {
                        Some(uri) => code { (uri) },
                        None => a href={ "/portal/apps/" (id) "/expose" } { "Add an Application ID URI" },
                    }
                }
                dt { "Created" } dd { (layout::when(&app, "createdDateTime")) }
            }
        }
        h2 { "Endpoints" }
        section.panel {
            dl.facts {
                @for (i, (label, url)) in endpoints.iter().enumerate() {
                    dt { (label) } dd { (layout::copyable(&format!("endpoint-{i}"), url)) }
                }
            }
        }
        form.inline method="post" action={ "/portal/apps/" (id) "/delete" } data-confirm="Delete this application and its service principal?" {
            (ctx.csrf())
            button.danger type="submit" { "Delete application" }
        }
    };
    app_page(&ctx, &app, "", StatusCode::OK, content)
}

/// `POST /portal/apps/{id}/delete`: `DELETE /v1.0/applications/{id}`.
pub(crate) async fn delete(Path(id): Path<String>, Posted { ctx, .. }: Posted) -> Response {
    match ctx.api().delete(&format!("/v1.0/applications/{}", encode(&id))).await {
        Ok(_) => done("/portal/apps", "deleted"),
        Err(e) => layout::failed(&ctx, Nav::Apps, "Delete application", &e),
    }
}

fn manifest_page(ctx: &Ctx, app: &Value, text: &str, error: Option<&ApiError>) -> Response {
    let id = s(app, "id");
    let content = html! {
        (layout::maybe_error(error))
        p.hint { "The application as Microsoft Graph returns it. Saving sends the properties you changed as one PATCH, with Graph's validation." }
        form.panel method="post" action={ "/portal/apps/" (id) "/manifest" } {
            (ctx.csrf())
            label for="manifest" { "Manifest (JSON)" }
            textarea.manifest #manifest name="manifest" spellcheck="false" { (text) }
            div.actions { button type="submit" { "Save" } }
        }
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    app_page(ctx, app, "/manifest", status, content)
}

/// `GET /portal/apps/{id}/manifest`
pub(crate) async fn manifest(ctx: Ctx, Path(id): Path<String>) -> Response {
    match load(&ctx, &id, "Manifest").await {
        Ok(app) => {
            let text = serde_json::to_string_pretty(&app).unwrap_or_default();
            manifest_page(&ctx, &app, &text, None)
        }
        Err(page) => page,
    }
}

/// The top-level properties of `edited` that differ from `current` (annotations aside).
fn changed(current: &Value, edited: &Map<String, Value>) -> Map<String, Value> {
    edited
        .iter()
        .filter(|(key, value)| !key.starts_with('@') && current.get(key.as_str()) != Some(*value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// `POST /portal/apps/{id}/manifest`: PATCH of what changed.
pub(crate) async fn save_manifest(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let app = match load(&ctx, &id, "Manifest").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let text = fields.text("manifest");
    let edited = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(edited)) => edited,
        Ok(_) => {
            let error = ApiError::bad_request("The manifest must be a JSON object.");
            return manifest_page(&ctx, &app, text, Some(&error));
        }
        Err(e) => {
            let error = ApiError::bad_request(format!("The manifest is not valid JSON: {e}."));
            return manifest_page(&ctx, &app, text, Some(&error));
        }
    };
    let patch = changed(&app, &edited);
    if patch.is_empty() {
        return done(&format!("/portal/apps/{id}"), "saved");
    }
    match ctx.api().patch(&format!("/v1.0/applications/{}", encode(&id)), Value::Object(patch)).await {
        Ok(_) => done(&format!("/portal/apps/{id}"), "saved"),
        Err(e) => manifest_page(&ctx, &app, text, Some(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_properties_are_patched() {
        let current = json!({"@odata.context": "x", "id": "1", "displayName": "A", "tags": []});
        let edited = json!({"@odata.context": "y", "id": "1", "displayName": "B", "tags": [], "notes": "n"});
        let patch = changed(&current, edited.as_object().unwrap());
        assert_eq!(Value::Object(patch), json!({"displayName": "B", "notes": "n"}));
    }
}
