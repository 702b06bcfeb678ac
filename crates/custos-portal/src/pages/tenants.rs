//! Tenants (installation administrators): the list and provisioning, whose bootstrap admin
//! credentials are shown once.

use super::Notice;
use crate::api::ApiError;
use crate::form::{Ctx, Posted};
use crate::layout::{self, Nav, s};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::{Value, json};

async fn render(ctx: &Ctx, created: Option<&Value>, error: Option<&ApiError>) -> Response {
    let tenants = match ctx.api().get("/admin/v1/tenants").await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(ctx, Nav::Tenants, "Tenants", &e),
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (layout::maybe_error(error))
        @if let Some(tenant) = created {
            div.secret role="status" {
                p { strong { "Tenant " (s(tenant, "domain")) " was created." } " Copy its bootstrap administrator's secret now: it is shown only once." }
                dl.facts {
                    dt { "Tenant ID" } dd { code { (s(tenant, "id")) } }
                    dt { "Admin client ID" } dd { code { (s(tenant, "adminClientId")) } }
                    dt { "Admin client secret" } dd { (layout::copyable("admin-secret", s(tenant, "adminClientSecret"))) }
                }
            }
        }
        div.scroll { table.stack {
            thead { tr { th { "Name" } th { "Domain" } th { "Tenant ID" } } }
            tbody {
                @for tenant in layout::list(&tenants, "value") {
                    tr {
                        td data-label="Name" { (s(tenant, "displayName")) }
                        td data-label="Domain" { (s(tenant, "domain")) }
                        td data-label="ID" { code { (s(tenant, "id")) } }
                    }
                }
            }
        } }
        h2 { "New tenant" }
        form.panel method="post" action="/portal/tenants" {
            (ctx.csrf())
            label for="tenant-domain" { "Domain" }
            input #tenant-domain type="text" name="domain" required placeholder="fabrikam.custos.local";
            label for="tenant-name" { "Display name (optional)" }
            input #tenant-name type="text" name="displayName";
            div.actions { button type="submit" { "Create tenant" } }
        }
    };
    layout::page_with(status, ctx, Nav::Tenants, "Tenants", content)
}

/// `GET /portal/tenants`
pub(crate) async fn list(ctx: Ctx, Query(_): Query<Notice>) -> Response {
    render(&ctx, None, None).await
}

/// `POST /portal/tenants`
pub(crate) async fn create(Posted { ctx, fields }: Posted) -> Response {
    let mut body = json!({ "domain": fields.text("domain") });
    if let Some(name) = fields.get("displayName") {
        body["displayName"] = json!(name);
    }
    match ctx.api().post("/admin/v1/tenants", body).await {
        Ok(tenant) => render(&ctx, Some(&tenant), None).await,
        Err(e) => render(&ctx, None, Some(&e)).await,
    }
}
