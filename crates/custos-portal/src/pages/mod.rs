//! The portal's pages, one module per section. Each handler reads through [`crate::api`] and
//! renders with [`crate::layout`]; each form post calls the API and either redirects to the page
//! it came from (`?done=` names what happened) or renders that page again with the API's error.

pub(crate) mod apps;
pub(crate) mod credentials;
pub(crate) mod enterprise;
pub(crate) mod home;
pub(crate) mod identities;
pub(crate) mod keys;
pub(crate) mod logs;
pub(crate) mod permissions;
pub(crate) mod roles;
pub(crate) mod tenants;
pub(crate) mod users;

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// `?done=…` after a successful post, and a search box's `?search=…`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Notice {
    pub(crate) done: Option<String>,
    pub(crate) search: Option<String>,
}

impl Notice {
    /// The success banner for `done`, worded by the page.
    pub(crate) fn banner(&self, text: impl Fn(&str) -> Option<&'static str>) -> maud::Markup {
        match self.done.as_deref().and_then(text) {
            Some(message) => crate::layout::done(message),
            None => maud::html! {},
        }
    }
}

/// The first page of `collection` (up to 999 objects), names starting with `search` when given.
pub(crate) fn search_path(collection: &str, search: &str) -> String {
    let mut path = format!("{collection}?$top=999");
    if !search.is_empty() {
        let filter = format!("startswith(displayName,{})", crate::api::literal(search));
        path.push_str(&format!("&$filter={}", crate::api::encode(&filter)));
    }
    path
}

/// 303 to `path` with `?done=what`.
pub(crate) fn done(path: &str, what: &str) -> Response {
    Redirect::to(&format!("{path}?done={what}")).into_response()
}
