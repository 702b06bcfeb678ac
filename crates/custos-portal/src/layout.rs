//! The page frame (header, navigation, the signed-in user, sign-out), the shared pieces of
//! pages (API errors, tabs of an app registration, tables, copyable values) and the static
//! assets. Every page is a complete document with the sign-in pages' security headers
//! (`custos_signin::html`): `default-src 'self'`, no inline script or style, no framing,
//! `no-store`.

use crate::api::ApiError;
use crate::form::Ctx;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

const CSS: &str = include_str!("../static/portal.css");
const JS: &str = include_str!("../static/portal.js");

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Home,
    Apps,
    Enterprise,
    Identities,
    Users,
    SignIns,
    Audit,
    Keys,
    Tenants,
}

const SECTIONS: &[(Nav, &str, &str, bool)] = &[
    (Nav::Home, "/portal/", "Overview", false),
    (Nav::Apps, "/portal/apps", "App registrations", false),
    (Nav::Enterprise, "/portal/enterprise", "Enterprise applications", false),
    (Nav::Identities, "/portal/identities", "Managed identities", false),
    (Nav::Users, "/portal/users", "Users", false),
    (Nav::SignIns, "/portal/sign-ins", "Sign-in logs", false),
    (Nav::Audit, "/portal/audit", "Audit logs", false),
    (Nav::Keys, "/portal/keys", "Signing keys", true),
    (Nav::Tenants, "/portal/tenants", "Tenants", true),
];

fn document(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - custos" }
                link rel="stylesheet" href="/portal/static/portal.css";
                script src="/portal/static/portal.js" defer {}
            }
            body { (body) }
        }
    }
    .into_string()
}

/// A page of the signed-in portal, answered with `status`.
pub(crate) fn page_with(status: StatusCode, ctx: &Ctx, nav: Nav, title: &str, content: Markup) -> Response {
    let claims = &ctx.session.claims;
    let body = html! {
        header.top {
            a.brand href="/portal/" { "custos" }
            span.who {
                span.user { (claims.user_name()) }
                span.tenant { "Tenant " code { (claims.tid) } }
            }
            form.signout method="post" action="/portal/sign-out" {
                (ctx.csrf())
                button type="submit" { "Sign out" }
            }
        }
        nav.main aria-label="Sections" {
            ul {
                @for (section, href, label, installation) in SECTIONS {
                    @if !*installation || ctx.session.installation_admin {
                        li { a href=(href) aria-current=[(*section == nav).then_some("page")] { (label) } }
                    }
                }
            }
        }
        main { h1 { (title) } (content) }
    };
    custos_signin::html::page(status, document(title, body), None)
}

/// A page of the signed-in portal.
pub(crate) fn page(ctx: &Ctx, nav: Nav, title: &str, content: Markup) -> Response {
    page_with(StatusCode::OK, ctx, nav, title, content)
}

/// A page outside the session (sign-in errors, refusals): a heading and a message.
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    message_with(status, title, html! { p { (text) } })
}

/// A page outside the session with any content.
pub(crate) fn message_with(status: StatusCode, title: &str, content: Markup) -> Response {
    let body = html! {
        header.top { a.brand href="/portal/" { "custos" } }
        main.narrow { h1 { (title) } (content) }
    };
    custos_signin::html::page(status, document(title, body), None)
}

/// The API's refusal, as a banner.
pub(crate) fn api_error(error: &ApiError) -> Markup {
    html! {
        div.error role="alert" {
            strong { (error.status.as_u16()) " " (error.code) } ": " (error.message)
        }
    }
}

/// A success banner.
pub(crate) fn done(text: &str) -> Markup {
    html! { div.done role="status" { (text) } }
}

/// An optional API refusal as a banner.
pub(crate) fn maybe_error(error: Option<&ApiError>) -> Markup {
    html! { @if let Some(e) = error { (api_error(e)) } }
}

/// A page showing only the API's refusal (the object could not be read), with its status.
pub(crate) fn failed(ctx: &Ctx, nav: Nav, title: &str, error: &ApiError) -> Response {
    let status = if error.status.is_client_error() { error.status } else { StatusCode::BAD_GATEWAY };
    page_with(status, ctx, nav, title, api_error(error))
}

/// A value with a copy button (shown by the script; the value stays selectable without it).
pub(crate) fn copyable(id: &str, value: &str) -> Markup {
    html! {
        span.copyable {
            code id=(id) { (value) }
            button.copy type="button" data-copy=(id) hidden aria-label="Copy to clipboard" { "Copy" }
        }
    }
}

/// The tabs of an app registration.
pub(crate) fn app_tabs(id: &str, current: &str) -> Markup {
    const TABS: &[(&str, &str)] = &[
        ("", "Overview"),
        ("/credentials", "Certificates & secrets"),
        ("/permissions", "API permissions"),
        ("/expose", "Expose an API"),
        ("/roles", "App roles"),
        ("/manifest", "Manifest"),
    ];
    html! {
        nav.tabs aria-label="App registration" {
            @for (suffix, label) in TABS {
                a href={ "/portal/apps/" (id) (suffix) } aria-current=[(*suffix == current).then_some("page")] { (label) }
            }
        }
    }
}

/// A string property of a Graph object, or `""`.
pub(crate) fn s<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A list property of a Graph object (empty when absent).
pub(crate) fn list<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A Graph date-time shortened to minutes, in UTC.
pub(crate) fn when(value: &Value, key: &str) -> String {
    let text = s(value, key);
    match (text.get(..10), text.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => text.to_owned(),
    }
}

/// `GET /portal/static/{file}`: the stylesheet and the script.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "portal.css" => (CSS, "text/css; charset=utf-8"),
        "portal.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return message(StatusCode::NOT_FOUND, "Not found", "There is no such file."),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
