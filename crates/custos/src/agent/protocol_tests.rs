//! Both protocols against a fake token source: success shapes and every refusal.

use super::*;
use crate::agent::tokens::Token;
use async_trait::async_trait;
use axum::body::Body;
use axum::http::Request;
use custos_core::FixedClock;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use std::sync::Mutex;
use tower::ServiceExt as _;

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const OID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SECRET: &str = "0123456789abcdef";
const NOW: i64 = 1_900_000_000;

#[derive(Debug, Default)]
struct Fake {
    asked: Mutex<Vec<String>>,
}

#[async_trait]
impl TokenProvider for Fake {
    async fn token(&self, resource: &str) -> Result<Token, FetchError> {
        self.asked.lock().unwrap().push(resource.to_owned());
        match resource {
            "api://unknown" => Err(FetchError::Refused {
                error: "invalid_resource".to_owned(),
                description: "AADSTS500011: not found".to_owned(),
            }),
            "api://down" => Err(FetchError::Unavailable("connection refused".to_owned())),
            _ => Ok(Token {
                access_token: Secret::new("the.access.token".to_owned()),
                expires_on: NOW + 86_399,
                not_before: NOW - 300,
                resource: resource.to_owned(),
                object_id: Some(OID.to_owned()),
            }),
        }
    }
}

fn app() -> (Router, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::from_unix_timestamp(NOW + 99).unwrap()));
    let state = AgentState {
        tokens: fake.clone(),
        identity_header: IdentityHeader::new(SECRET.to_owned()),
        client_id: CLIENT.to_owned(),
        clock,
    };
    (router(Arc::new(state)), fake)
}

async fn call(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

const APP_SERVICE: &str = "/msi/token?api-version=2019-08-01&resource=api%3A%2F%2Fbilling";
const IMDS: &str = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://billing";
const HEADER: (&str, &str) = ("X-IDENTITY-HEADER", SECRET);
const METADATA: (&str, &str) = ("Metadata", "true");

/// Checks an App Service error body and returns its message.
fn app_service_error(status: StatusCode, body: &Value, expected: StatusCode) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["statusCode"], expected.as_u16(), "{body}");
    assert_eq!(body["correlationId"].as_str().unwrap().len(), 36, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

fn imds_error(status: StatusCode, body: &Value, expected: StatusCode, error: &str) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    body["error_description"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn app_service_answers_with_its_shape() {
    let (app, fake) = app();
    let (status, body) = call(&app, Method::GET, APP_SERVICE, &[HEADER, METADATA]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "access_token": "the.access.token",
            "expires_on": (NOW + 86_399).to_string(),
            "expires_in": "86300",
            "not_before": (NOW - 300).to_string(),
            "resource": "api://billing",
            "token_type": "Bearer",
            "client_id": CLIENT,
        })
    );
    assert_eq!(*fake.asked.lock().unwrap(), ["api://billing"]);
}

#[tokio::test]
async fn imds_answers_with_all_string_fields() {
    let (app, _) = app();
    let (status, body) = call(&app, Method::GET, IMDS, &[METADATA]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "access_token": "the.access.token",
            "refresh_token": "",
            "expires_in": "86300",
            "expires_on": (NOW + 86_399).to_string(),
            "not_before": (NOW - 300).to_string(),
            "resource": "api://billing",
            "token_type": "Bearer",
            "client_id": CLIENT,
        })
    );
}

#[tokio::test]
async fn paths_ignore_case_and_a_trailing_slash() {
    let (app, _) = app();
    let node = "/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=api://billing";
    assert_eq!(call(&app, Method::GET, node, &[METADATA]).await.0, StatusCode::OK);
    let upper = "/MSI/Token/?api-version=2019-08-01&resource=api://billing";
    assert_eq!(call(&app, Method::GET, upper, &[HEADER]).await.0, StatusCode::OK);
    assert_eq!(call(&app, Method::GET, "/msi/tokens?resource=x", &[HEADER]).await.0, StatusCode::NOT_FOUND);
    let (status, body) = call(&app, Method::POST, APP_SERVICE, &[HEADER]).await;
    assert_eq!(app_service_error(status, &body, StatusCode::METHOD_NOT_ALLOWED), "Only GET is supported.");
}

#[tokio::test]
async fn identities_are_selected_by_client_id_or_object_id() {
    let (app, _) = app();
    for selector in [format!("client_id={CLIENT}"), format!("object_id={OID}"), format!("principal_id={OID}")]
    {
        let (status, body) = call(&app, Method::GET, &format!("{APP_SERVICE}&{selector}"), &[HEADER]).await;
        assert_eq!(status, StatusCode::OK, "{selector}: {body}");
        let (status, body) = call(&app, Method::GET, &format!("{IMDS}&{selector}"), &[METADATA]).await;
        assert_eq!(status, StatusCode::OK, "{selector}: {body}");
    }
    let other = "99999999-2222-3333-4444-555555555555";
    for selector in [
        format!("client_id={other}"),
        format!("object_id={other}"),
        "mi_res_id=/subscriptions/x".to_owned(),
        "msi_res_id=/subscriptions/x".to_owned(),
    ] {
        let (status, body) = call(&app, Method::GET, &format!("{APP_SERVICE}&{selector}"), &[HEADER]).await;
        assert_eq!(
            app_service_error(status, &body, StatusCode::BAD_REQUEST),
            "Identity not found",
            "{selector}"
        );
        let (status, body) = call(&app, Method::GET, &format!("{IMDS}&{selector}"), &[METADATA]).await;
        assert_eq!(
            imds_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request"),
            "Identity not found"
        );
    }
    let both = format!("{IMDS}&client_id={CLIENT}&object_id={OID}");
    let (status, body) = call(&app, Method::GET, &both, &[METADATA]).await;
    assert_eq!(
        imds_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request"),
        "Only one of client_id, object_id, principal_id, mi_res_id and msi_res_id may be given."
    );
}

#[tokio::test]
async fn app_service_needs_the_identity_header() {
    let (app, fake) = app();
    for headers in [
        vec![],
        vec![("X-IDENTITY-HEADER", "wrong")],
        vec![("X-IDENTITY-HEADER", "0123456789abcdeF")],
        vec![METADATA],
    ] {
        let (status, body) = call(&app, Method::GET, APP_SERVICE, &headers).await;
        assert_eq!(
            app_service_error(status, &body, StatusCode::UNAUTHORIZED),
            "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER."
        );
    }
    assert!(fake.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn imds_needs_the_metadata_header() {
    let (app, fake) = app();
    for headers in [vec![], vec![("Metadata", "false")], vec![HEADER]] {
        let (status, body) = call(&app, Method::GET, IMDS, &headers).await;
        assert_eq!(
            imds_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request"),
            "Required metadata header not specified"
        );
    }
    assert!(fake.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn api_version_and_resource_are_required() {
    let (app, _) = app();
    let (status, body) =
        call(&app, Method::GET, "/msi/token?api-version=2017-09-01&resource=r", &[HEADER]).await;
    assert_eq!(
        app_service_error(status, &body, StatusCode::BAD_REQUEST),
        "The api-version '2017-09-01' is not supported; use api-version=2019-08-01."
    );
    let (status, body) =
        call(&app, Method::GET, "/metadata/identity/oauth2/token?resource=r", &[METADATA]).await;
    assert_eq!(
        imds_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request"),
        "Required query variable 'api-version' is missing; use api-version=2018-02-01."
    );
    let (status, body) =
        call(&app, Method::GET, "/msi/token?api-version=2019-08-01&resource=", &[HEADER]).await;
    assert_eq!(
        app_service_error(status, &body, StatusCode::BAD_REQUEST),
        "Required query variable 'resource' is missing"
    );
    let twice = format!("{IMDS}&resource=api://other");
    let (status, body) = call(&app, Method::GET, &twice, &[METADATA]).await;
    assert_eq!(
        imds_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request"),
        "The query parameter 'resource' is given more than once."
    );
}

#[tokio::test]
async fn authority_errors_are_passed_on_in_the_protocols_shape() {
    let (app, _) = app();
    let unknown = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://unknown";
    let (status, body) = call(&app, Method::GET, unknown, &[METADATA]).await;
    assert_eq!(
        imds_error(status, &body, StatusCode::BAD_REQUEST, "invalid_resource"),
        "AADSTS500011: not found"
    );
    let unknown = unknown.replace(
        "/metadata/identity/oauth2/token?api-version=2018-02-01",
        "/msi/token?api-version=2019-08-01",
    );
    let (status, body) = call(&app, Method::GET, &unknown, &[HEADER]).await;
    assert_eq!(
        app_service_error(status, &body, StatusCode::BAD_REQUEST),
        "invalid_resource: AADSTS500011: not found"
    );
    let down = "/msi/token?api-version=2019-08-01&resource=api://down";
    let (status, body) = call(&app, Method::GET, down, &[HEADER]).await;
    assert_eq!(
        app_service_error(status, &body, StatusCode::INTERNAL_SERVER_ERROR),
        "The token service is temporarily unavailable; retry later."
    );
}

#[test]
fn the_identity_header_is_not_printed() {
    assert_eq!(format!("{:?}", IdentityHeader::new(SECRET.to_owned())), "Secret(<redacted>)");
}
