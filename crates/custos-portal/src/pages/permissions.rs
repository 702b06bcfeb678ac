//! API permissions of an app registration: what `requiredResourceAccess` asks, with its
//! consent status in the tenant; adding permissions from the tenant's APIs (application or
//! delegated); removing them; **Grant admin consent** (the admin API's consent, the same code
//! the `/adminconsent` endpoint runs); and the consent URLs another organization's
//! administrator opens (seed 004).

use super::{Notice, done};
use crate::api::{Api, ApiError, encode, literal};
use crate::form::{Ctx, Posted};
use crate::layout::{self, s};
use crate::pages::apps::{app_page, load};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;

/// The service principal of `app_id` in the tenant, if any.
async fn principal_of(api: &Api<'_>, app_id: &str) -> Result<Option<Value>, ApiError> {
    let filter = encode(&format!("appId eq {}", literal(app_id)));
    let answer = api.get(&format!("/v1.0/servicePrincipals?$filter={filter}")).await?;
    Ok(layout::list(&answer, "value").first().cloned())
}

/// One permission the application asks for, resolved against its API.
struct Asked {
    resource_app_id: String,
    resource_name: String,
    id: String,
    kind: String,
    value: String,
    description: String,
    granted: bool,
}

/// What is granted to the application's service principal: app role ids per resource, and
/// scope values per resource (tenant-wide grants).
#[derive(Default)]
struct Granted {
    roles: HashSet<(String, String)>,
    scopes: HashSet<(String, String)>,
}

async fn granted(api: &Api<'_>, client: Option<&Value>) -> Result<Granted, ApiError> {
    let mut granted = Granted::default();
    let Some(client) = client else { return Ok(granted) };
    let id = s(client, "id");
    let assignments = api.get(&format!("/v1.0/servicePrincipals/{}/appRoleAssignments", encode(id))).await?;
    for a in layout::list(&assignments, "value") {
        granted.roles.insert((s(a, "resourceId").to_owned(), s(a, "appRoleId").to_owned()));
    }
    let filter = encode(&format!("clientId eq {}", literal(id)));
    let grants = api.get(&format!("/v1.0/oauth2PermissionGrants?$filter={filter}")).await?;
    for g in layout::list(&grants, "value").iter().filter(|g| s(g, "consentType") == "AllPrincipals") {
        for scope in s(g, "scope").split_whitespace() {
            granted.scopes.insert((s(g, "resourceId").to_owned(), scope.to_owned()));
        }
    }
    Ok(granted)
}

async fn asked(api: &Api<'_>, app: &Value) -> Result<(Vec<Asked>, Vec<Value>), ApiError> {
    let client = principal_of(api, s(app, "appId")).await?;
    let granted = granted(api, client.as_ref()).await?;
    let mut rows = Vec::new();
    let mut resources = Vec::new();
    for required in layout::list(app, "requiredResourceAccess") {
        let resource_app_id = s(required, "resourceAppId");
        let resource = principal_of(api, resource_app_id).await?.unwrap_or(Value::Null);
        for access in layout::list(required, "resourceAccess") {
            let (id, kind) = (s(access, "id"), s(access, "type"));
            let (collection, value_key) =
                if kind == "Role" { ("appRoles", "value") } else { ("oauth2PermissionScopes", "value") };
            let definition = layout::list(&resource, collection).iter().find(|d| s(d, "id") == id);
            let value = definition.map_or(id, |d| s(d, value_key));
            let description = definition
                .map(|d| if kind == "Role" { s(d, "displayName") } else { s(d, "adminConsentDisplayName") })
                .unwrap_or_default();
            let resource_id = s(&resource, "id").to_owned();
            let granted = if kind == "Role" {
                granted.roles.contains(&(resource_id, id.to_owned()))
            } else {
                granted.scopes.contains(&(resource_id, value.to_owned()))
            };
            rows.push(Asked {
                resource_app_id: resource_app_id.to_owned(),
                resource_name: s(&resource, "displayName").to_owned(),
                id: id.to_owned(),
                kind: kind.to_owned(),
                value: value.to_owned(),
                description: description.to_owned(),
                granted,
            });
        }
        resources.push(resource);
    }
    Ok((rows, resources))
}

fn consent_urls(ctx: &Ctx, app: &Value, resources: &[Value]) -> Markup {
    let base = &ctx.portal.public_url;
    let app_id = s(app, "appId");
    let redirect = layout::list(&app["web"], "redirectUris").first().and_then(Value::as_str);
    html! {
        @if s(app, "signInAudience") == "AzureADMultipleOrgs" {
            h2 { "Consent by other organizations" }
            section.panel {
                @match redirect {
                    None => p.hint { "Add a Web redirect URI (Manifest: " code { "web.redirectUris" } ") to get the consent URLs an administrator of another organization opens." },
                    Some(redirect) => {
                        p.hint { "An administrator of another organization opens one of these to consent for their tenant; custos then redirects to " code { (redirect) } "." }
                        dl.facts {
                            dt { "Admin consent (v2)" }
                            dd { (layout::copyable("consent-v2", &format!("{base}/common/adminconsent?client_id={app_id}&redirect_uri={}", encode(redirect)))) }
                            @for (i, resource) in resources.iter().enumerate() {
                                @if let Some(uri) = layout::list(resource, "servicePrincipalNames").iter().filter_map(Value::as_str).find(|n| n.contains("://")) {
                                    dt { "Sign-in and consent for " (s(resource, "displayName")) " (v1)" }
                                    dd { (layout::copyable(&format!("consent-v1-{i}"), &format!(
                                        "{base}/common/oauth2/authorize?response_type=code&resource={}&client_id={app_id}&redirect_uri={}",
                                        encode(uri), encode(redirect)))) }
                                }
                            }
                        }
                    },
                }
            }
        }
    }
}

async fn render(ctx: &Ctx, id: &str, notice: &Notice, error: Option<&ApiError>) -> Response {
    let app = match load(ctx, id, "API permissions").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let api = ctx.api();
    let (rows, resources) = match asked(&api, &app).await {
        Ok(found) => found,
        Err(e) => return layout::failed(ctx, layout::Nav::Apps, "API permissions", &e),
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| match d {
            "added" => Some("The permissions were added. Grant admin consent to let the application use them."),
            "removed" => Some("The permission was removed."),
            "consented" => Some("Admin consent was granted for the tenant."),
            _ => None,
        }))
        (layout::maybe_error(error))
        div.actions {
            a.button.secondary href={ "/portal/apps/" (id) "/permissions/add" } { "Add a permission" }
            form.inline method="post" action={ "/portal/apps/" (id) "/consent" } {
                (ctx.csrf())
                button type="submit" { "Grant admin consent for this tenant" }
            }
        }
        div.scroll { table.stack {
            thead { tr { th { "API / Permission name" } th { "Type" } th { "Description" } th { "Status" } th {} } }
            tbody {
                @for row in &rows {
                    tr {
                        td data-label="Permission" { (row.resource_name) " · " strong { (row.value) } }
                        td data-label="Type" { @if row.kind == "Role" { "Application" } @else { "Delegated" } }
                        td data-label="Description" { (row.description) }
                        td data-label="Status" {
                            @if row.granted { span.status-ok { "Granted for the tenant" } } @else { span.status-no { "Not granted" } }
                        }
                        td { form.inline method="post" action={ "/portal/apps/" (id) "/permissions/remove" } {
                            (ctx.csrf())
                            input type="hidden" name="resourceAppId" value=(row.resource_app_id);
                            input type="hidden" name="id" value=(row.id);
                            button.danger type="submit" aria-label={ "Remove " (row.value) } { "Remove" }
                        } }
                    }
                }
            }
        } }
        @if rows.is_empty() { p.muted { "The application asks for no permission." } }
        (consent_urls(ctx, &app, &resources))
    };
    app_page(ctx, &app, "/permissions", status, content)
}

/// `GET /portal/apps/{id}/permissions`
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render(&ctx, &id, &notice, None).await
}

#[derive(Deserialize)]
pub(crate) struct ChooseQuery {
    api: Option<String>,
}

/// Whether a service principal exposes anything a client can ask for.
fn exposes(sp: &Value) -> bool {
    layout::list(sp, "appRoles").iter().any(application_role)
        || !layout::list(sp, "oauth2PermissionScopes").is_empty()
}

fn application_role(role: &Value) -> bool {
    layout::list(role, "allowedMemberTypes").iter().any(|t| t.as_str() == Some("Application"))
}

/// `GET /portal/apps/{id}/permissions/add?api=`: the tenant's APIs, then one API's permissions.
pub(crate) async fn choose(ctx: Ctx, Path(id): Path<String>, Query(query): Query<ChooseQuery>) -> Response {
    let app = match load(&ctx, &id, "Request API permissions").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let principals = match ctx.api().get("/v1.0/servicePrincipals?$top=999").await {
        Ok(answer) => layout::list(&answer, "value").to_vec(),
        Err(e) => return layout::failed(&ctx, layout::Nav::Apps, "Request API permissions", &e),
    };
    let apis: Vec<&Value> = principals.iter().filter(|sp| exposes(sp)).collect();
    let chosen = query.api.as_deref().and_then(|api| apis.iter().find(|sp| s(sp, "id") == api));
    let content = match chosen {
        None => html! {
            h2 { "Request API permissions: select an API" }
            ul.apis {
                @for sp in &apis {
                    li { a href={ "/portal/apps/" (id) "/permissions/add?api=" (s(sp, "id")) } { (s(sp, "displayName")) }
                         " " span.muted { code { (s(sp, "appId")) } } }
                }
            }
        },
        Some(sp) => html! {
            h2 { "Request API permissions: " (s(sp, "displayName")) }
            form.panel method="post" action={ "/portal/apps/" (id) "/permissions" } {
                (ctx.csrf())
                input type="hidden" name="resourceAppId" value=(s(sp, "appId"));
                fieldset {
                    legend { "Application permissions (the app runs as a background service without a signed-in user)" }
                    @for role in layout::list(sp, "appRoles").iter().filter(|r| application_role(r)) {
                        label.inline { input type="checkbox" name="permission" value={ "Role:" (s(role, "id")) };
                            span { strong { (s(role, "value")) } " · " (s(role, "displayName")) } }
                    }
                }
                fieldset {
                    legend { "Delegated permissions (the app accesses the API as the signed-in user)" }
                    @for scope in layout::list(sp, "oauth2PermissionScopes") {
                        label.inline { input type="checkbox" name="permission" value={ "Scope:" (s(scope, "id")) };
                            span { strong { (s(scope, "value")) } " · " (s(scope, "adminConsentDisplayName")) } }
                    }
                }
                div.actions {
                    button type="submit" { "Add permissions" }
                    a.button.secondary href={ "/portal/apps/" (id) "/permissions/add" } { "Back to the APIs" }
                }
            }
        },
    };
    app_page(&ctx, &app, "/permissions", StatusCode::OK, content)
}

/// `requiredResourceAccess` with `changes` applied to `resource_app_id`'s entry (empty entries
/// dropped), keeping the other entries as they are.
fn with_access(app: &Value, resource_app_id: &str, change: impl Fn(&mut Vec<Value>)) -> Value {
    let mut required: Vec<Value> = layout::list(app, "requiredResourceAccess").to_vec();
    if !required.iter().any(|r| s(r, "resourceAppId") == resource_app_id) {
        required.push(json!({ "resourceAppId": resource_app_id, "resourceAccess": [] }));
    }
    for entry in &mut required {
        if s(entry, "resourceAppId") == resource_app_id {
            let mut access = layout::list(entry, "resourceAccess").to_vec();
            change(&mut access);
            entry["resourceAccess"] = Value::Array(access);
        }
    }
    required.retain(|r| !layout::list(r, "resourceAccess").is_empty());
    Value::Array(required)
}

/// `POST /portal/apps/{id}/permissions`: PATCH `requiredResourceAccess` with the chosen ones.
pub(crate) async fn add(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let app = match load(&ctx, &id, "API permissions").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let chosen: Vec<(String, String)> = fields
        .all("permission")
        .iter()
        .filter_map(|p| p.split_once(':'))
        .filter(|(kind, _)| matches!(*kind, "Role" | "Scope"))
        .map(|(kind, id)| (kind.to_owned(), id.to_owned()))
        .collect();
    if chosen.is_empty() {
        let error = ApiError::bad_request("Select at least one permission.");
        return render(&ctx, &id, &Notice::default(), Some(&error)).await;
    }
    let required = with_access(&app, fields.text("resourceAppId"), |access| {
        for (kind, pid) in &chosen {
            if !access.iter().any(|a| s(a, "id") == pid && s(a, "type") == kind) {
                access.push(json!({ "id": pid, "type": kind }));
            }
        }
    });
    patch_required(&ctx, &id, required, "added").await
}

/// `POST /portal/apps/{id}/permissions/remove`
pub(crate) async fn remove(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let app = match load(&ctx, &id, "API permissions").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let removed = fields.text("id").to_owned();
    let required =
        with_access(&app, fields.text("resourceAppId"), |access| access.retain(|a| s(a, "id") != removed));
    patch_required(&ctx, &id, required, "removed").await
}

async fn patch_required(ctx: &Ctx, id: &str, required: Value, what: &str) -> Response {
    let body = json!({ "requiredResourceAccess": required });
    match ctx.api().patch(&format!("/v1.0/applications/{}", encode(id)), body).await {
        Ok(_) => done(&format!("/portal/apps/{id}/permissions"), what),
        Err(e) => render(ctx, id, &Notice::default(), Some(&e)).await,
    }
}

/// `POST /portal/apps/{id}/consent`: the tenant-wide consent to everything the app asks for.
pub(crate) async fn grant_consent(Path(id): Path<String>, Posted { ctx, .. }: Posted) -> Response {
    let app = match load(&ctx, &id, "API permissions").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let path = format!("/admin/v1/tenants/{}/consent", encode(ctx.tenant()));
    match ctx.api().post(&path, json!({ "appId": s(&app, "appId") })).await {
        Ok(_) => done(&format!("/portal/apps/{id}/permissions"), "consented"),
        Err(e) => render(&ctx, &id, &Notice::default(), Some(&e)).await,
    }
}

/// Permissions by resource for tests and other pages: `(resourceAppId, [(type, id)])`.
#[cfg(test)]
fn summary(required: &Value) -> std::collections::HashMap<String, Vec<(String, String)>> {
    layout::list(&json!({ "r": required }), "r")
        .iter()
        .map(|r| {
            let access = layout::list(r, "resourceAccess")
                .iter()
                .map(|a| (s(a, "type").to_owned(), s(a, "id").to_owned()))
                .collect();
            (s(r, "resourceAppId").to_owned(), access)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_and_removing_keeps_other_resources() {
        let app = json!({ "requiredResourceAccess": [
            { "resourceAppId": "graph", "resourceAccess": [{ "id": "u", "type": "Scope" }] },
        ]});
        let added = with_access(&app, "bc", |a| a.push(json!({ "id": "r", "type": "Role" })));
        let map = summary(&added);
        assert_eq!(map["graph"], [("Scope".to_owned(), "u".to_owned())]);
        assert_eq!(map["bc"], [("Role".to_owned(), "r".to_owned())]);
        let removed = with_access(&json!({ "requiredResourceAccess": added }), "graph", |a| {
            a.retain(|x| s(x, "id") != "u")
        });
        assert_eq!(summary(&removed).len(), 1, "an emptied entry is dropped");
    }
}
