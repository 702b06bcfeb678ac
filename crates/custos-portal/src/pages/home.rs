//! `/portal/`: the tenant at a glance.

use crate::form::Ctx;
use crate::layout::{self, Nav, s};
use axum::response::Response;
use maud::html;
use serde_json::Value;

/// `GET /portal/`
pub(crate) async fn show(ctx: Ctx) -> Response {
    let api = ctx.api();
    let organization = match api.get("/v1.0/organization").await {
        Ok(answer) => layout::list(&answer, "value").first().cloned().unwrap_or(Value::Null),
        Err(e) => return layout::failed(&ctx, Nav::Home, "Overview", &e),
    };
    let count = |path: &'static str| {
        let api = ctx.api();
        async move { api.get(path).await.map(|v| layout::list(&v, "value").len()).ok() }
    };
    let apps = count("/v1.0/applications?$select=id&$top=999").await;
    let principals = count("/v1.0/servicePrincipals?$select=id&$top=999").await;
    let users = count("/v1.0/users?$select=id&$top=999").await;
    let domains: Vec<&str> =
        layout::list(&organization, "verifiedDomains").iter().map(|d| s(d, "name")).collect();
    let base = &ctx.portal.public_url;
    let tenant = ctx.tenant();
    let content = html! {
        section.panel {
            dl.facts {
                dt { "Name" } dd { (s(&organization, "displayName")) }
                dt { "Tenant ID" } dd { (layout::copyable("tenant-id", tenant)) }
                dt { "Domains" } dd { (domains.join(", ")) }
                dt { "Authority" } dd { code { (base) "/" (tenant) } }
                dt { "OpenID Connect metadata" } dd { code { (base) "/" (tenant) "/v2.0/.well-known/openid-configuration" } }
            }
        }
        div.cards {
            a href="/portal/apps" { strong { (apps.map_or("-".to_owned(), |n| n.to_string())) } "App registrations" }
            a href="/portal/enterprise" { strong { (principals.map_or("-".to_owned(), |n| n.to_string())) } "Enterprise applications" }
            a href="/portal/users" { strong { (users.map_or("-".to_owned(), |n| n.to_string())) } "Users" }
            a href="/portal/sign-ins" { strong { "Logs" } "Sign-ins and audits" }
        }
    };
    layout::page(&ctx, Nav::Home, s(&organization, "displayName"), content)
}
