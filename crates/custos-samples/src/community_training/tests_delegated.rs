//! Which tokens each route takes (security.md §9 E38), through the real guard with tokens signed by
//! the shared test authority (`custos_testkit`): a signed-in user's token on the profile, the
//! catalogue and `/api/v2/Profile/Role`, refused on the administration routes; an app token refused
//! on `/api/v2/Profile/Role`; a user token without the required scope, or without `Scopes` set,
//! refused everywhere.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use custos_core::FixedClock;
use custos_guard::{Guard, GuardConfig};
use custos_testkit::authority::{Authority, Shape};
use custos_testkit::http::{bearer_challenge, send};
use custos_testkit::ids::{API_URI, CLIENT_APP_ID, NOW, TENANT};
use serde_json::json;
use time::OffsetDateTime;

use super::app;
use super::db::Db;
use super::routes::AppState;

const USER_OID: &str = "d3b07384-d113-4ec6-a1b2-7c3d4e5f6a7b";

struct Api {
    router: Router,
    _dir: tempfile::TempDir,
}

async fn api(authority: &Authority, scopes: Option<&[String]>) -> Api {
    let config = GuardConfig::from_toml_str(&format!(
        "Authority = \"{}\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"{API_URI}\"\n\
         ServiceAuthRole = \"S2SAppRole\"\nRequireClientTypeHeader = true\n",
        authority.base
    ))
    .unwrap()
    .danger_allow_http_loopback()
    .with_user_tokens(scopes.is_some());
    let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
    let guard = Arc::new(Guard::new(config, clock).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), TENANT.parse().unwrap()).await.unwrap();
    Api { router: app(AppState { db }, guard, scopes, None, None), _dir: dir }
}

fn user_token(authority: &Authority, scp: &str, wids: &[&str]) -> String {
    authority.v2_with(|c| {
        let obj = c.as_object_mut().unwrap();
        obj.remove("idtyp");
        obj.remove("roles");
        obj.insert("scp".into(), json!(scp));
        obj.insert("oid".into(), json!(USER_OID));
        obj.insert("sub".into(), json!("pairwise-sub"));
        obj.insert("preferred_username".into(), json!("alice@contoso.example"));
        obj.insert("name".into(), json!("Alice Adams"));
        obj.insert("wids".into(), json!(wids));
    })
}

impl Api {
    async fn get(
        &self,
        path: &str,
        token: &str,
        client_type: bool,
    ) -> (StatusCode, Option<String>, serde_json::Value) {
        let mut request = Request::get(path).header("authorization", format!("Bearer {token}"));
        if client_type {
            request = request.header("ClientType", "Service");
        }
        let reply = send(&self.router, request.body(Body::empty()).unwrap()).await;
        (reply.status, reply.header("www-authenticate").map(str::to_owned), reply.json)
    }
}

fn forbidden(description: &str) -> (StatusCode, Option<String>) {
    (StatusCode::FORBIDDEN, Some(bearer_challenge("insufficient_scope", description)))
}

#[tokio::test]
async fn a_signed_in_user_reads_the_profile_and_the_catalogue_but_not_the_admin_routes() {
    let authority = Authority::start(Shape::Custos).await;
    let scopes = ["access_as_user".to_owned()];
    let api = api(&authority, Some(&scopes)).await;
    let token = user_token(&authority, "access_as_user", &[]);

    let (status, _, profile) = api.get("/api/v2/Profile", &token, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        profile,
        json!({"objectId": USER_OID, "applicationId": CLIENT_APP_ID, "tenantId": TENANT, "roles": [],
               "callerType": "User", "userPrincipalName": "alice@contoso.example", "name": "Alice Adams",
               "scopes": ["access_as_user"]})
    );
    assert_eq!(api.get("/api/v2/Profile/Role", &token, false).await.2, json!({"role": "Learner"}));
    let admin = user_token(&authority, "openid access_as_user", &["62e90394-69f5-4237-9190-012177145e10"]);
    assert_eq!(
        api.get("/api/v2/Profile/Role", &admin, false).await.2,
        json!({"role": "Global Administrator"})
    );
    assert_eq!(api.get("/api/v1/Courses", &token, false).await.0, StatusCode::OK);
    assert_eq!(api.get("/api/v1/learningpaths", &token, false).await.0, StatusCode::OK);

    for path in ["/api/v1/organization", "/api/v1/users?searchTerm=a"] {
        let (status, challenge, _) = api.get(path, &token, true).await;
        assert_eq!((status, challenge), forbidden("delegated (user) tokens are not accepted"), "{path}");
    }
}

#[tokio::test]
async fn an_app_token_keeps_its_routes_and_is_refused_where_a_user_must_sign_in() {
    let authority = Authority::start(Shape::Custos).await;
    let scopes = ["access_as_user".to_owned()];
    let api = api(&authority, Some(&scopes)).await;
    let service = authority.v2_token();
    let (status, challenge, _) = api.get("/api/v2/Profile/Role", &service, true).await;
    assert_eq!((status, challenge), forbidden("app-only tokens are not accepted"));
    let (status, _, profile) = api.get("/api/v2/Profile", &service, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["callerType"], "Service");
    assert!(profile.get("userPrincipalName").is_none() && profile.get("scopes").is_none(), "{profile}");
    assert_eq!(api.get("/api/v1/organization", &service, true).await.0, StatusCode::OK);
    // A user's token needs no ClientType header; a service's still does.
    assert_eq!(api.get("/api/v2/Profile", &service, false).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn user_tokens_need_the_scope_and_the_setting() {
    let authority = Authority::start(Shape::Custos).await;
    let scopes = ["access_as_user".to_owned()];
    let api_with_scopes = api(&authority, Some(&scopes)).await;
    for scp in ["User.Read", ""] {
        let token = user_token(&authority, scp, &[]);
        for path in ["/api/v2/Profile", "/api/v2/Profile/Role", "/api/v1/Courses"] {
            let (status, challenge, _) = api_with_scopes.get(path, &token, false).await;
            assert_eq!(
                (status, challenge),
                forbidden("the token does not carry a required scope"),
                "{scp} {path}"
            );
        }
    }
    let without_scopes = api(&authority, None).await;
    let token = user_token(&authority, "access_as_user", &[]);
    for path in ["/api/v2/Profile", "/api/v2/Profile/Role"] {
        let (status, challenge, _) = without_scopes.get(path, &token, false).await;
        assert_eq!((status, challenge), forbidden("delegated (user) tokens are not accepted"), "{path}");
    }
}
