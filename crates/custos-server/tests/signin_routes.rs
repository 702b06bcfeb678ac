//! The sign-in endpoints share `/{tenant}/{*rest}` with the authority: in the whole router the
//! sign-in paths (any case) reach custos-signin, everything else still reaches the authority.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use custos_core::Secret;
use custos_server::{AppParts, build_router};
use custos_signin::{SignIn, SigninConfig};
use std::sync::Arc;
use tower::ServiceExt;

#[tokio::test]
async fn sign_in_paths_reach_the_sign_in_router_and_the_rest_the_authority() {
    let fx = Fixture::new().await;
    let config = SigninConfig {
        origins: custos_core::origins::Origins::single(PUBLIC_URL),
        csrf_key: Secret::new([1; 32]),
    };
    let signin = SignIn::new(&config, fx.directory.clone(), fx.clock.clone()).unwrap();
    let router = build_router(AppParts {
        authority: fx.authority.clone(),
        directory: directory_state(&fx, &fx.authority),
        store: fx.directory.store().clone(),
        signin: Some(Arc::new(signin)),
        portal: None,
        separate_metrics: false,
    });
    let get = |uri: String| Request::get(uri).body(Body::empty()).unwrap();

    let authorize = format!("/{DOMAIN}/OAuth2/V2.0/Authorize?client_id={}&scope=openid", fx.client.app_id());
    let page = router.clone().oneshot(get(authorize)).await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert_eq!(page.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
    let body = axum::body::to_bytes(page.into_body(), 1 << 20).await.unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains("AADSTS500113:"), "the client registers no redirect URI: {body}");

    let options = Request::options(format!("/{DOMAIN}/oauth2/v2.0/authorize")).body(Body::empty()).unwrap();
    let options = router.clone().oneshot(options).await.unwrap();
    assert_eq!(options.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(!options.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN), "no CORS on authorize");

    let discovery =
        router.clone().oneshot(get(format!("/{DOMAIN}/v2.0/.well-known/openid-configuration"))).await;
    assert_eq!(discovery.unwrap().status(), StatusCode::OK);
    let token = Request::post(format!("/{}/oauth2/v2.0/token", fx.tenant))
        .header(header::CONTENT_TYPE, FORM)
        .body(Body::from(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &fx.client.app_id()),
            ("client_secret", SECRET),
            ("scope", "api://resource-v2/.default"),
        ])))
        .unwrap();
    assert_eq!(router.oneshot(token).await.unwrap().status(), StatusCode::OK);
}
