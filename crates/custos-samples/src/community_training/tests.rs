//! The API as a client sees it, through the whole router with a validated caller in place of the
//! guard (the guard's own wiring is tested at the end with tokens it refuses before any key fetch):
//! the routes, the seeded data, and every kind of bad input answered with a 4xx problem document
//! and nothing written.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use custos_core::{AppId, ObjectId, SystemClock, TenantId};
use custos_guard::{Guard, GuardConfig, Principal, PrincipalKind, TokenVersion};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::db::Db;
use super::routes::{AppState, api_routes};
use super::{app, assemble, openapi};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

struct Api {
    router: Router,
    _dir: tempfile::TempDir,
}

fn caller() -> Principal {
    Principal {
        tenant_id: TENANT.parse::<TenantId>().unwrap(),
        client_app_id: AppId::new_random(),
        object_id: ObjectId::new_random(),
        roles: vec!["S2SAppRole".into()],
        scopes: Vec::new(),
        token_version: TokenVersion::V1,
        kind: PrincipalKind::App,
        user: None,
    }
}

async fn api() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), TENANT.parse().unwrap()).await.unwrap();
    let routes = api_routes(AppState { db }, |routes, _| routes).layer(axum::Extension(caller()));
    Api { router: assemble(routes, Some(openapi::document_json().unwrap())), _dir: dir }
}

impl Api {
    async fn send(&self, request: Request<Body>) -> (StatusCode, Option<String>, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, content_type, body)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(Request::get(uri).body(Body::empty()).unwrap()).await;
        (status, body)
    }

    async fn write(&self, method: Method, uri: &str, body: &str) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        let (status, content_type, body) = self.send(request).await;
        if status.is_client_error() {
            assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{status} {body}");
            assert_eq!(body["status"], status.as_u16(), "{body}");
        }
        (status, body)
    }

    /// Everything a bad request could have written.
    async fn snapshot(&self) -> (Value, Value) {
        (self.get("/api/v1/organization").await.1, self.get("/api/v1/users?searchTerm=%40").await.1)
    }
}

fn validation_message(body: &Value, field: &str) -> String {
    assert_eq!(body["title"], "One or more validation errors occurred.", "{body}");
    body["errors"][field][0].as_str().unwrap_or_else(|| panic!("no error for {field}: {body}")).to_owned()
}

#[tokio::test]
async fn seeded_catalogue_and_profile() {
    let api = api().await;
    let (status, courses) = api.get("/api/v1/Courses").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(courses[0]["CategoryName"], "Digital Literacy");
    assert_eq!(courses[0]["Courses"][0]["ProductId"], 101);
    assert_eq!(courses[0]["Courses"][0]["IsRegistered"], false);
    assert_eq!(courses[1]["Courses"].as_array().unwrap().len(), 2);
    let (_, paths) = api.get("/api/v1/learningpaths").await;
    assert_eq!(paths[1]["courseIds"], json!([202, 201]));
    let (status, profile) = api.get("/api/v2/Profile").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["tenantId"], TENANT);
    assert_eq!(profile["callerType"], "Service");
    assert_eq!(profile["roles"], json!(["S2SAppRole"]));
    let (_, orgs) = api.get("/api/v1/organization").await;
    assert_eq!(orgs[0]["name"], "Contoso Learning");
    assert_eq!(orgs[0]["tenantId"], TENANT);
}

#[tokio::test]
async fn paths_are_case_insensitive_and_unknown_ones_are_problem_404s() {
    let api = api().await;
    assert_eq!(api.get("/API/V1/COURSES").await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v2/profile").await.0, StatusCode::OK);
    let (status, content_type, body) =
        api.send(Request::get("/api/v1/nothing").body(Body::empty()).unwrap()).await;
    assert_eq!((status, content_type.as_deref()), (StatusCode::NOT_FOUND, Some("application/problem+json")));
    assert_eq!(body["detail"], "resource not found");
    let (status, content_type, body) =
        api.send(Request::patch("/api/v1/organization").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, content_type.as_deref()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("application/problem+json"))
    );
    assert_eq!(body["title"], "Method Not Allowed");
}

#[tokio::test]
async fn user_search_requires_a_search_term() {
    let api = api().await;
    for uri in ["/api/v1/users", "/api/v1/users?searchTerm=", "/api/v1/users?searchTerm=%20%20"] {
        let (status, body) = api.get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(validation_message(&body, "searchTerm"), "The searchTerm field is required.");
    }
    let (status, body) = api.get(&format!("/api/v1/users?searchTerm={}", "a".repeat(101))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(validation_message(&body, "searchTerm").contains("maximum length of 100"));
    let (status, found) = api.get("/api/v1/users?searchTerm=ada%20love").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["contact"], "ada@contoso.example");
    // LIKE wildcards are literal.
    assert_eq!(api.get("/api/v1/users?searchTerm=%25").await.1, json!([]));
}

#[tokio::test]
async fn users_are_added_then_updated_by_contact() {
    let api = api().await;
    let (_, orgs) = api.get("/api/v1/organization").await;
    let org = orgs[0]["id"].as_str().unwrap().to_owned();
    let body = r#"{"firstName":"Katherine","lastName":"Johnson","contact":"KJ@nasa.example"}"#;
    let (status, created) = api.write(Method::POST, &format!("/api/v1/users?orgId={org}"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["contactType"], "Email");
    assert_eq!(created["organizationId"], org.as_str());
    let again = r#"{"firstName":"Kathy","contact":"kj@nasa.example","contactType":"Email"}"#;
    let (status, updated) = api.write(Method::POST, "/api/v1/users", again).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["userId"], created["userId"]);
    assert_eq!((updated["firstName"].as_str(), updated["lastName"].as_str()), (Some("Kathy"), Some("")));
    assert_eq!(updated["organizationId"], org.as_str(), "the organization is kept when orgId is not sent");
}

#[tokio::test]
async fn organization_crud() {
    let api = api().await;
    let (status, created) = api.write(Method::POST, "/api/v1/organization", r#"{"name":"Fabrikam"}"#).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((created["description"].as_str(), created["tenantId"].as_str()), (Some(""), Some(TENANT)));
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, body) = api.write(Method::POST, "/api/v1/organization", r#"{"name":"fabrikam"}"#).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["detail"], "an organization named 'fabrikam' already exists");
    let (status, updated) = api
        .write(
            Method::PUT,
            &format!("/api/v1/organization/{id}"),
            r#"{"name":"Fabrikam Ltd","description":"d"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((updated["id"].as_str(), updated["name"].as_str()), (Some(id.as_str()), Some("Fabrikam Ltd")));
    let (status, body) =
        api.write(Method::PUT, &format!("/api/v1/organization/{id}"), r#"{"name":"Contoso Learning"}"#).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        api.write(Method::DELETE, &format!("/api/v1/organization/{id}"), "").await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = api.write(Method::DELETE, &format!("/api/v1/organization/{id}"), "").await;
    assert_eq!((status, body["detail"].as_str()), (StatusCode::NOT_FOUND, Some("organization not found")));
}

#[tokio::test]
async fn bad_input_is_a_4xx_problem_and_writes_nothing() {
    let api = api().await;
    let before = api.snapshot().await;
    let unknown = "00000000-0000-0000-0000-000000000001";
    let long = "n".repeat(101);
    let user = |extra: &str| format!(r#"{{"firstName":"Ada","contact":"new@contoso.example"{extra}}}"#);
    let cases: Vec<(Method, String, String, StatusCode, &str, &str)> = vec![
        // malformed JSON
        (
            Method::POST,
            "/api/v1/organization".into(),
            r#"{"name":"#.into(),
            StatusCode::BAD_REQUEST,
            "$",
            "The request body is not valid JSON",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            "[1,2".into(),
            StatusCode::BAD_REQUEST,
            "$",
            "The request body is not valid JSON",
        ),
        (
            Method::POST,
            "/api/v1/organization".into(),
            String::new(),
            StatusCode::BAD_REQUEST,
            "$",
            "A non-empty request body is required.",
        ),
        // unknown fields
        (
            Method::POST,
            "/api/v1/organization".into(),
            r#"{"name":"X","tenantId":"t"}"#.into(),
            StatusCode::BAD_REQUEST,
            "$",
            "unknown field `tenantId`",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            user(r#","role":"admin""#),
            StatusCode::BAD_REQUEST,
            "$",
            "unknown field `role`",
        ),
        // wrong types
        (
            Method::POST,
            "/api/v1/organization".into(),
            r#"{"name":42}"#.into(),
            StatusCode::BAD_REQUEST,
            "$",
            "invalid type: integer `42`, expected a string",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            user(r#","contactType":"Fax""#),
            StatusCode::BAD_REQUEST,
            "$",
            "unknown variant `Fax`",
        ),
        (
            Method::POST,
            "/api/v1/organization".into(),
            "[]".into(),
            StatusCode::BAD_REQUEST,
            "$",
            "The request body must be a JSON object.",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            r#"["Ada",null,"ada2@contoso.example"]"#.into(),
            StatusCode::BAD_REQUEST,
            "$",
            "The request body must be a JSON object.",
        ),
        (
            Method::POST,
            "/api/v1/organization".into(),
            r#"{"name":null}"#.into(),
            StatusCode::BAD_REQUEST,
            "$",
            "invalid type: null, expected a string",
        ),
        (
            Method::POST,
            "/api/v1/organization".into(),
            r#"{"description":"d"}"#.into(),
            StatusCode::BAD_REQUEST,
            "$",
            "missing field `name`",
        ),
        // over-long strings, bad values
        (
            Method::POST,
            "/api/v1/organization".into(),
            format!(r#"{{"name":"{long}"}}"#),
            StatusCode::BAD_REQUEST,
            "name",
            "maximum length of 100",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            user(&format!(r#","lastName":"{long}""#)),
            StatusCode::BAD_REQUEST,
            "lastName",
            "maximum length of 64",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            r#"{"firstName":"A","contact":"not-an-address"}"#.into(),
            StatusCode::BAD_REQUEST,
            "contact",
            "not a valid Email contact",
        ),
        // unknown or malformed ids
        (
            Method::PUT,
            format!("/api/v1/organization/{unknown}"),
            r#"{"name":"Y"}"#.into(),
            StatusCode::NOT_FOUND,
            "",
            "organization not found",
        ),
        (
            Method::DELETE,
            format!("/api/v1/organization/{unknown}"),
            String::new(),
            StatusCode::NOT_FOUND,
            "",
            "organization not found",
        ),
        (
            Method::POST,
            format!("/api/v1/users?orgId={unknown}"),
            user(""),
            StatusCode::NOT_FOUND,
            "",
            "organization not found",
        ),
        (
            Method::PUT,
            "/api/v1/organization/42".into(),
            r#"{"name":"Y"}"#.into(),
            StatusCode::BAD_REQUEST,
            "orgId",
            "The value of orgId is not a valid GUID.",
        ),
        (
            Method::POST,
            "/api/v1/users?orgId=x".into(),
            user(""),
            StatusCode::BAD_REQUEST,
            "orgId",
            "The value of orgId is not a valid GUID.",
        ),
        // too large
        (
            Method::POST,
            "/api/v1/organization".into(),
            format!(r#"{{"name":"{}"}}"#, "x".repeat(70_000)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
            "the request body is too large",
        ),
    ];
    for (method, uri, body, status, field, message) in cases {
        let (got, problem) = api.write(method.clone(), &uri, &body).await;
        assert_eq!(got, status, "{method} {uri} {body:.80}: {problem}");
        let text = if field.is_empty() {
            problem["detail"].as_str().unwrap().to_owned()
        } else {
            validation_message(&problem, field)
        };
        assert!(text.contains(message), "{method} {uri} {body:.80}: {text}");
    }
    let request = Request::post("/api/v1/organization")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"name":"Z"}"#))
        .unwrap();
    let (status, _, problem) = api.send(request).await;
    assert_eq!(
        (status, problem["title"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("Unsupported Media Type"))
    );
    assert_eq!(api.snapshot().await, before, "no refused request wrote anything");
}

#[tokio::test]
async fn swagger_serves_the_ui_and_the_document_without_a_token() {
    let api = api().await;
    let (status, content_type, _) =
        api.send(Request::get("/swagger/index.html").body(Body::empty()).unwrap()).await;
    assert_eq!((status, content_type.as_deref()), (StatusCode::OK, Some("text/html; charset=utf-8")));
    let (status, document) = api.get("/swagger/v1/swagger.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["paths"]["/api/v1/users"]["get"].is_object());
    let response =
        api.router.clone().oneshot(Request::get("/swagger").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()[header::LOCATION], "/swagger/index.html");
    let response = api
        .router
        .clone()
        .oneshot(Request::get("/swagger/swagger-ui-bundle.js").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert!(
        response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'")
    );
}

/// The real guard in front: requests without an acceptable token never reach a handler, and
/// `/swagger` is absent unless enabled. (No key is fetched: these refusals come first.)
#[tokio::test]
async fn the_guard_stands_in_front_of_every_api_route() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), TENANT.parse().unwrap()).await.unwrap();
    let config = GuardConfig::from_toml_str(&format!(
        "Authority = \"https://127.0.0.1:9\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"api://sample\"\n"
    ))
    .unwrap();
    let guard = Arc::new(Guard::new(config, Arc::new(SystemClock)).unwrap());
    let router = app(AppState { db }, guard, None, None, None);
    for uri in ["/api/v2/Profile", "/api/v1/users?searchTerm=a", "/api/v1/Courses", "/api/v1/organization"] {
        let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
    let patch =
        router.clone().oneshot(Request::patch("/api/v1/organization").body(Body::empty()).unwrap()).await;
    assert_eq!(patch.unwrap().status(), StatusCode::UNAUTHORIZED, "the method is checked after the token");
    let forged = Request::post("/api/v1/organization")
        .header(header::AUTHORIZATION, "Bearer not.a.token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"Forged"}"#))
        .unwrap();
    let response = router.clone().oneshot(forged).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer error=\"invalid_token\""), "{challenge}");
    let response = router
        .clone()
        .oneshot(Request::get("/swagger/index.html").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "no Swagger unless EnableSwagger=true");
}
