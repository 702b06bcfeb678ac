//! The server-rendered pages (`entra-user-flows.md` §1.10, `interface.md`): the sign-in page (one
//! `<form method="post">` with `login` and `passwd`), the consent page (one form whose submit
//! buttons are `consent=accept` and `consent=cancel`), "Need admin approval", the error page in
//! Entra's layout, and a plain message page. Every other field is a hidden input in the same form;
//! every interpolated string is escaped (F42). No script, no external resources.

use crate::error::Trace;
use crate::html::{self, document, escape, hidden};
use axum::http::StatusCode;
use axum::response::Response;
use custos_core::aadsts::{SignInError, TokenError};
use std::fmt::Write as _;

/// What every form carries besides its visible fields.
#[derive(Debug, Clone, Copy)]
pub struct FormContext<'a> {
    /// Where the form posts (the authorize path, without query).
    pub action: &'a str,
    /// The request's parameters (`Params::encode`), re-validated on every POST.
    pub ctx: &'a str,
    /// The anti-CSRF token bound to the browser cookie.
    pub csrf: &'a str,
}

fn form_open(out: &mut String, form: &FormContext<'_>) {
    let _ = write!(out, r#"<form method="post" action="{}">"#, escape(form.action));
    hidden(out, "ctx", form.ctx);
    hidden(out, "csrf", form.csrf);
}

/// The sign-in page.
#[derive(Debug, Clone, Copy)]
pub struct SignInPage<'a> {
    /// Hidden fields and target.
    pub form: FormContext<'a>,
    /// The client's registered display name.
    pub app_name: &'a str,
    /// Prefilled user name (`login_hint`, or the name just tried).
    pub login: Option<&'a str>,
    /// Why the previous attempt failed, shown inline with its AADSTS number.
    pub error: Option<&'a TokenError>,
}

/// The inline text of a failed sign-in.
fn inline_message(error: &TokenError) -> String {
    let text = match error {
        TokenError::SignIn(SignInError::InvalidCredentials) => {
            "Your account or password is incorrect. If you don't remember your password, ask your administrator to reset it."
        }
        TokenError::SignIn(SignInError::UnknownUser { .. }) => {
            "This account doesn't exist. Enter a different account or ask your administrator to create it."
        }
        TokenError::SignIn(SignInError::AccountLocked) => {
            "Your account is temporarily locked to prevent unauthorized use. Try again later."
        }
        TokenError::SignIn(SignInError::UserDisabled) => {
            "Your account has been disabled. Contact your administrator."
        }
        _ => "We couldn't sign you in. Please try again.",
    };
    format!("{text} (AADSTS{})", error.code())
}

/// Renders the sign-in page: 200, or 400 when it shows a failed attempt.
pub fn sign_in(page: &SignInPage<'_>) -> Response {
    let mut body = String::with_capacity(2048);
    let _ = write!(
        body,
        "<main><h1>Sign in</h1><p>to continue to <strong>{}</strong></p>",
        escape(page.app_name)
    );
    if let Some(error) = page.error {
        let _ = write!(body, r#"<p role="alert" id="error">{}</p>"#, escape(&inline_message(error)));
    }
    form_open(&mut body, &page.form);
    let _ = write!(
        body,
        r#"<p><label for="login">Email, phone, or Skype</label><br><input id="login" name="login" type="text" autocomplete="username" required value="{}"></p>"#,
        escape(page.login.unwrap_or_default())
    );
    body.push_str(
        r#"<p><label for="passwd">Password</label><br><input id="passwd" name="passwd" type="password" autocomplete="current-password" required></p>"#,
    );
    body.push_str(r#"<p><button type="submit">Sign in</button></p></form></main>"#);
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    html::page(status, document("Sign in to your account", &body), None)
}

/// One permission on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionLine {
    /// The resource's display name.
    pub resource: String,
    /// The admin- or user-facing display name (or the value when none is registered).
    pub name: String,
    /// The matching description, if any.
    pub description: Option<String>,
}

/// The consent page.
#[derive(Debug, Clone, Copy)]
pub struct ConsentPage<'a> {
    /// Hidden fields and target.
    pub form: FormContext<'a>,
    /// A digest of exactly what the page shows, posted back in the hidden `plan` field: Accept
    /// grants only what was shown.
    pub plan: &'a str,
    /// The signed-in user.
    pub user: &'a str,
    /// The client's registered display name.
    pub app_name: &'a str,
    /// The publisher: the name of the tenant the client is registered in.
    pub publisher: &'a str,
    /// What is asked.
    pub permissions: &'a [PermissionLine],
    /// Whether accepting consents for the whole organization (admin consent).
    pub for_organization: bool,
}

/// Renders the consent page.
pub fn consent(page: &ConsentPage<'_>) -> Response {
    let mut body = String::with_capacity(4096);
    let _ = write!(
        body,
        "<main><p>{}</p><h1>Permissions requested</h1><p><strong>{}</strong><br>Publisher: {}</p>",
        escape(page.user),
        escape(page.app_name),
        escape(page.publisher)
    );
    body.push_str(if page.for_organization {
        "<p>This app would like to (for everyone in your organization):</p><ul>"
    } else {
        "<p>This app would like to:</p><ul>"
    });
    for line in page.permissions {
        let _ = write!(body, "<li><strong>{}</strong> ({})", escape(&line.name), escape(&line.resource));
        if let Some(description) = &line.description {
            let _ = write!(body, "<br>{}", escape(description));
        }
        body.push_str("</li>");
    }
    body.push_str("</ul>");
    if page.for_organization {
        body.push_str("<p>If you accept, this app gets access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>");
    }
    body.push_str(
        "<p>Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>",
    );
    form_open(&mut body, &page.form);
    hidden(&mut body, "plan", page.plan);
    body.push_str(
        r#"<p><button type="submit" name="consent" value="cancel">Cancel</button> <button type="submit" name="consent" value="accept">Accept</button></p></form></main>"#,
    );
    html::page(StatusCode::OK, document("Permissions requested", &body), None)
}

/// "Need admin approval" (AADSTS90094): the only way on is back to the application.
pub fn admin_approval(form: &FormContext<'_>, user: &str, app_name: &str) -> Response {
    let mut body = String::with_capacity(1024);
    let _ = write!(
        body,
        "<main><p>{}</p><h1>Need admin approval</h1><p><strong>{}</strong> needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>",
        escape(user),
        escape(app_name)
    );
    form_open(&mut body, form);
    body.push_str(
        r#"<p><button type="submit" name="consent" value="cancel">Return to the application without granting consent</button></p></form></main>"#,
    );
    html::page(StatusCode::OK, document("Need admin approval", &body), None)
}

/// The error page in Entra's layout: 400 for request errors, 503 when storage failed.
pub fn error(error: &TokenError, trace: &Trace) -> Response {
    let message = format!("AADSTS{}: {error}", error.code());
    let mut body = String::with_capacity(2048);
    let _ = write!(
        body,
        "<main><h1>Sign in</h1><p>Sorry, but we're having trouble signing you in.</p><p id=\"message\">{}</p>\
         <h2>Troubleshooting details</h2><dl>\
         <dt>Request Id</dt><dd>{}</dd><dt>Correlation Id</dt><dd>{}</dd><dt>Timestamp</dt><dd>{}</dd>\
         <dt>Message</dt><dd>{}</dd></dl></main>",
        escape(&message),
        trace.trace_id.hyphenated(),
        trace.correlation_id.hyphenated(),
        trace.iso_timestamp(),
        escape(&message)
    );
    let status = match error {
        TokenError::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    html::page(status, document("Sign in", &body), None)
}

/// A page with a heading and one paragraph (refused forms, signed out).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!("<main><h1>{}</h1><p>{}</p></main>", escape(title), escape(text));
    html::page(status, document(title, &body), None)
}

#[cfg(test)]
#[path = "pages_tests.rs"]
pub(crate) mod tests;
