//! `/swagger`: the OpenAPI document and Swagger UI, served from the binary (nothing is fetched at run
//! time), when `EnableSwagger=true`.
//!
//! The UI files are swagger-ui-dist 5.35.0 from npm (Apache-2.0; `swagger_ui/LICENSE`, `NOTICE` and
//! the bundle's third-party notices sit beside them): `swagger-ui-bundle.js` and `swagger-ui.css`,
//! verbatim. The page and its initializer are ours. Paths follow ASP.NET Core's Swashbuckle, as MCT
//! serves them: `/swagger` redirects to `/swagger/index.html`, the document is `/swagger/v1/swagger.json`.
//!
//! Seed 003 says MCT shows its API signature only to a signed-in administrator. The sample has no
//! interactive sign-in, so with `EnableSwagger=true` these pages are served without a token (they
//! describe the API; every operation still needs a token). Leave `EnableSwagger` unset to hide them.

use std::sync::Arc;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const BUNDLE_JS: &[u8] = include_bytes!("swagger_ui/swagger-ui-bundle.js");
const UI_CSS: &[u8] = include_bytes!("swagger_ui/swagger-ui.css");
const INDEX_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Community Training-style API (custos sample)</title>
  <link rel="stylesheet" href="swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script src="swagger-initializer.js"></script>
</body>
</html>
"#;
const INITIALIZER_JS: &str = r##"window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "v1/swagger.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null
  });
};
"##;
/// Scripts and styles only from this origin (Swagger UI sets inline styles and shows data: images).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    let headers: [(HeaderName, HeaderValue); 4] = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
    ];
    (headers, body).into_response()
}

/// The `/swagger` routes, serving `document` (the OpenAPI JSON) and the UI.
pub fn routes(document: String) -> Router {
    let document: Arc<str> = document.into();
    let index = || async { asset("text/html; charset=utf-8", INDEX_HTML) };
    Router::new()
        .route("/swagger", get(|| async { Redirect::permanent("/swagger/index.html") }))
        .route("/swagger/", get(index))
        .route("/swagger/index.html", get(index))
        .route(
            "/swagger/swagger-initializer.js",
            get(|| async { asset("text/javascript; charset=utf-8", INITIALIZER_JS) }),
        )
        .route(
            "/swagger/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript; charset=utf-8", BUNDLE_JS) }),
        )
        .route("/swagger/swagger-ui.css", get(|| async { asset("text/css; charset=utf-8", UI_CSS) }))
        .route(
            "/swagger/v1/swagger.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { asset("application/json", document.to_string()) }
            }),
        )
}
