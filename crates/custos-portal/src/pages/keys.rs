//! Signing keys (installation administrators): the keys and their states, and a rotation,
//! now or with a delay before the new key signs (`activateIn`), through the admin API.

use super::{Notice, done};
use crate::api::ApiError;
use crate::form::{Ctx, Posted};
use crate::layout::{self, Nav, s};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::json;

/// Delays offered before a new key signs (the admin API's duration syntax).
const DELAYS: &[(&str, &str)] = &[
    ("", "At once"),
    ("1h", "In 1 hour"),
    ("24h", "In 24 hours (the default publication lead)"),
    ("7d", "In 7 days"),
];

async fn render(ctx: &Ctx, notice: &Notice, error: Option<&ApiError>) -> Response {
    let keys = match ctx.api().get("/admin/v1/signing-keys").await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(ctx, Nav::Keys, "Signing keys", &e),
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| (d == "rotated").then_some("A new signing key was created.")))
        (layout::maybe_error(error))
        div.scroll { table.stack {
            thead { tr { th { "Key ID (kid)" } th { "State" } th { "Created" } th { "Signs from" } th { "Retires" } } }
            tbody {
                @for key in layout::list(&keys, "value") {
                    tr {
                        td data-label="kid" { code { (s(key, "kid")) } }
                        td data-label="State" { (s(key, "state")) }
                        td data-label="Created" { (layout::when(key, "created")) }
                        td data-label="Signs from" { (layout::when(key, "activates")) }
                        td data-label="Retires" { (layout::when(key, "retires")) }
                    }
                }
            }
        } }
        h2 { "Rotate" }
        form.panel method="post" action="/portal/keys/rotate" {
            (ctx.csrf())
            label for="delay" { "The new key signs" }
            select #delay name="activateIn" {
                @for (value, label) in DELAYS { option value=(value) selected[*value == "24h"] { (label) } }
            }
            p.hint { "The key is published in the JWKS at once; validators that cache keys pick it up before it signs when there is a delay." }
            div.actions { button type="submit" { "Rotate signing key" } }
        }
    };
    layout::page_with(status, ctx, Nav::Keys, "Signing keys", content)
}

/// `GET /portal/keys`
pub(crate) async fn show(ctx: Ctx, Query(notice): Query<Notice>) -> Response {
    render(&ctx, &notice, None).await
}

/// `POST /portal/keys/rotate`
pub(crate) async fn rotate(Posted { ctx, fields }: Posted) -> Response {
    let body = fields.get("activateIn").map_or_else(|| json!({}), |d| json!({ "activateIn": d }));
    match ctx.api().post("/admin/v1/signing-keys/rotate", body).await {
        Ok(_) => done("/portal/keys", "rotated"),
        Err(e) => render(&ctx, &Notice::default(), Some(&e)).await,
    }
}
