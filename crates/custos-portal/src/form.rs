//! What every handler starts from: [`Ctx`] (the session, the caller's address, the API client)
//! and, for form posts, [`Posted`] (the form, its anti-CSRF token checked against the session
//! cookie, in constant time). A post without a valid token is refused with a 403 page.

use crate::api::Api;
use crate::layout;
use crate::session::Session;
use crate::state::Portal;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use custos_listener::ConnectionInfo;
use maud::{Markup, html};
use std::sync::Arc;

/// Largest form or upload the portal accepts (a certificate is a few KiB).
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024;
/// The name of the anti-CSRF field.
pub(crate) const CSRF_FIELD: &str = "csrf";

/// A signed-in request.
pub(crate) struct Ctx {
    pub(crate) portal: Arc<Portal>,
    pub(crate) session: Session,
    pub(crate) peer: Option<ConnectionInfo>,
}

impl Ctx {
    /// The API, called as the signed-in administrator.
    pub(crate) fn api(&self) -> Api<'_> {
        Api::bearer(&self.portal, self.session.token.expose(), self.peer)
    }

    /// The hidden anti-CSRF input every form carries.
    pub(crate) fn csrf(&self) -> Markup {
        let token = self.portal.csrf.token(&self.session.cookie);
        html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
    }

    /// Whether `token` is this session's anti-CSRF token.
    pub(crate) fn csrf_ok(&self, token: Option<&str>) -> bool {
        self.portal.csrf.check(Some(&self.session.cookie), token)
    }

    /// The signed-in user's tenant id.
    pub(crate) fn tenant(&self) -> &str {
        &self.session.claims.tid
    }
}

impl FromRequestParts<Arc<Portal>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, portal: &Arc<Portal>) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, portal).await?;
        let peer = parts.extensions.get::<ConnectionInfo>().cloned();
        Ok(Self { portal: portal.clone(), session, peer })
    }
}

/// A form post: its fields, in order.
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub(crate) fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The first value of `name`, trimmed, or `""`.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    /// Every non-blank value of `name` (checkboxes, lines of a text area).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.lines())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether the checkbox `name` is checked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// A signed-in form post with a valid anti-CSRF token.
pub(crate) struct Posted {
    pub(crate) ctx: Ctx,
    pub(crate) fields: Fields,
}

impl FromRequest<Arc<Portal>> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, portal: &Arc<Portal>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, portal).await?;
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
            layout::message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "The form is larger than the portal accepts.",
            )
        })?;
        let fields = Fields::parse(&bytes);
        if !ctx.csrf_ok(fields.get(CSRF_FIELD)) {
            return Err(forged());
        }
        Ok(Self { ctx, fields })
    }
}

/// The answer to a post whose anti-CSRF token is missing or wrong.
pub(crate) fn forged() -> Response {
    tracing::info!("portal: form post refused: missing or wrong anti-CSRF token");
    layout::message(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form was not sent from a portal page of your session. Reload the page and try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_blank_ones_absent() {
        let f = Fields::parse(b"name=+Payroll+API+&empty=+&uri=a%0D%0A%0D%0Ab&uri=c&box=on");
        assert_eq!(f.get("name"), Some("Payroll API"));
        assert_eq!(f.get("empty"), None);
        assert_eq!(f.text("missing"), "");
        assert_eq!(f.all("uri"), ["a", "b", "c"]);
        assert!(f.checked("box") && !f.checked("other"));
    }
}
