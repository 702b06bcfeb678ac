//! Authorization (`authorize`) in front of both APIs, with the guard replaced by a layer that
//! puts a chosen [`Principal`] into the request, as the real guard does after validating a token.
//! The real guard in front of this stack is tested end to end in
//! `tests/interop/python/test_business_central.py`.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use custos_core::TenantId;
use custos_guard::{Principal, PrincipalKind, TokenVersion};
use http::{Method, StatusCode};
use serde_json::Value;

use super::apps::{AppState, ClientId, Description};
use super::authorize::{API_ROLE, AUTOMATION_ROLE, authorize};
use super::test_support::{Fixture as Sample, exchange};
use super::{api, automation};

const CLIENT: &str = "6a7b8c9d-0000-4000-8000-000000000001";
const API: &str = "/v2.0/production/api/v2.0";
const AUTOMATION: &str = "/v2.0/production/api/microsoft/automation/v2.0";

impl Sample {
    async fn register(&self, state: AppState, sets: &[&str]) {
        let id: ClientId = CLIENT.parse().unwrap();
        self.store().add(id, &Description::parse("Test app").unwrap()).await.unwrap();
        for set in sets {
            self.store().grant(id, set, "").await.unwrap();
        }
        self.store().set_state(id, state).await.unwrap();
    }

    /// Sends a request as `CLIENT` holding `roles`; returns the status and the BC error code, if any.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        roles: &[&str],
    ) -> (StatusCode, Value) {
        let principal = Principal {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".parse::<TenantId>().unwrap(),
            client_app_id: CLIENT.parse().unwrap(),
            object_id: "aaaaaaaa-0000-0000-0000-000000000001".parse().unwrap(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: Vec::new(),
            token_version: TokenVersion::V1,
            kind: PrincipalKind::App,
            user: None,
        };
        let router: Router = api::router()
            .merge(automation::router())
            .layer(axum::middleware::from_fn_with_state(self.state.clone(), authorize))
            .layer(axum::middleware::map_request(move |mut request: Request| {
                let principal = principal.clone();
                async move {
                    request.extensions_mut().insert(principal);
                    request
                }
            }))
            .with_state(self.state.clone());
        let mut builder = Request::builder().method(method).uri(path).header("If-Match", "*");
        if body.is_some() {
            builder = builder.header("Content-Type", "application/json");
        }
        let request = builder.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
        let (status, _, bytes) = exchange(router, request).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    fn customers(&self) -> String {
        format!("{API}/companies({})/customers", self.company)
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn unknown_and_disabled_clients_get_invalid_credentials() {
    let sample = Sample::new().await;
    let (status, body) = sample.call(Method::GET, &format!("{API}/companies"), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "Authentication_InvalidCredentials");
    assert!(
        message(&body).starts_with("The server has rejected the client credentials.  CorrelationId:  "),
        "{body}"
    );

    sample.register(AppState::Disabled, &["D365 BUS FULL ACCESS"]).await;
    let (status, body) = sample.call(Method::GET, &format!("{API}/companies"), None, &[API_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "Authentication_InvalidCredentials"));

    sample.store().set_state(CLIENT.parse().unwrap(), AppState::Enabled).await.unwrap();
    let (status, body) = sample.call(Method::GET, &format!("{API}/companies"), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn each_api_needs_its_app_role() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &["D365 BUS FULL ACCESS", "D365 AUTOMATION"]).await;
    let (status, body) =
        sample.call(Method::GET, &format!("{API}/companies"), None, &[AUTOMATION_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "Authentication_InvalidCredentials"));
    let (status, body) =
        sample.call(Method::GET, &format!("{AUTOMATION}/companies"), None, &[API_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "Authentication_InvalidCredentials"));
    let (status, _) =
        sample.call(Method::GET, &format!("{AUTOMATION}/companies"), None, &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sample.call(Method::GET, &format!("{API}/$metadata"), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn read_only_permission_sets_cannot_write() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &["D365 READ"]).await;
    let (status, _) = sample.call(Method::GET, &sample.customers(), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        sample.call(Method::POST, &sample.customers(), Some(r#"{"displayName":"X"}"#), &[API_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "Authorization_InsufficientPermissions"));
    assert!(
        message(&body).starts_with(
            "Sorry, the current permissions prevented the action. (TableData 18 Customer Insert: Base Application)  CorrelationId:  "
        ),
        "{body}"
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE displayName = 'X'")
        .fetch_one(sample.state.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was written");
    // Percent-encoding the entity set does not get around the check.
    let encoded = sample.customers().replace("customers", "%63ustomers");
    let (status, _) = sample.call(Method::POST, &encoded, Some(r#"{"displayName":"X"}"#), &[API_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn business_sets_do_not_cover_automation_and_vice_versa() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &["D365 BUS FULL ACCESS"]).await;
    let both = [API_ROLE, AUTOMATION_ROLE];
    let users = format!("{AUTOMATION}/companies({})/users", sample.company);
    let (status, body) = sample.call(Method::GET, &users, None, &both).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "Authorization_InsufficientPermissions"));
    assert!(message(&body).contains("(TableData 2000000120 User Read: System)"), "{body}");
    let (status, _) =
        sample.call(Method::POST, &sample.customers(), Some(r#"{"displayName":"Y"}"#), &both).await;
    assert_eq!(status, StatusCode::CREATED);

    let id: ClientId = CLIENT.parse().unwrap();
    sample.store().revoke(id, "D365 BUS FULL ACCESS", "").await.unwrap();
    sample.store().grant(id, "EXTEND. MGT. - ADMIN", "").await.unwrap();
    let (status, _) = sample.call(Method::GET, &users, None, &both).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sample.call(Method::GET, &sample.customers(), None, &both).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn company_scoped_sets_apply_in_their_company_only() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &[]).await;
    let id: ClientId = CLIENT.parse().unwrap();
    sample.store().grant(id, "D365 READ", "CRONUS US").await.unwrap();
    let (status, body) = sample.call(Method::GET, &sample.customers(), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = sample.call(Method::GET, &format!("{API}/companies"), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no company in the path: only unscoped sets count");
    sample.store().revoke(id, "D365 READ", "CRONUS US").await.unwrap();
    sample.store().grant(id, "D365 READ", "OTHER").await.unwrap();
    let (status, _) = sample.call(Method::GET, &sample.customers(), None, &[API_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_encoded_slash_in_the_path_prefix_does_not_get_around_role_or_permission_checks() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &["D365 READ"]).await;
    let create = Some(r#"{"displayName":"X"}"#);
    // The router matches the raw path (`production%2Fapi%2Fv2.0` is one environment segment), so
    // authorization must classify the raw path the same way, not its decoded form.
    let hidden_set =
        format!("/v2.0/production%2Fapi%2Fv2.0/api/v2.0/companies({})/customers", sample.company);
    let (status, body) = sample.call(Method::POST, &hidden_set, create, &[API_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "Authorization_InsufficientPermissions"));
    let hidden_family = format!("/v2.0/t%2Fx/production/api/v2.0/companies({})/customers", sample.company);
    let (status, body) = sample.call(Method::POST, &hidden_family, create, &[AUTOMATION_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "Authentication_InvalidCredentials"));
    let users =
        format!("/v2.0/t%2Fx/production/api/microsoft/automation/v2.0/companies({})/users", sample.company);
    let (status, body) = sample.call(Method::GET, &users, None, &[API_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "Authentication_InvalidCredentials"));
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE displayName = 'X'")
        .fetch_one(sample.state.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was written");
}

impl Sample {
    /// A second, Disabled application (not the caller): its Client ID and user.
    async fn other_app(&self) -> (ClientId, String) {
        let id: ClientId = "6a7b8c9d-0000-4000-8000-000000000002".parse().unwrap();
        let card = self.store().add(id, &Description::parse("Other app").unwrap()).await.unwrap();
        (id, card.user_security_id)
    }

    async fn own_user(&self) -> String {
        self.store().get(CLIENT.parse().unwrap()).await.unwrap().user_security_id
    }
}

#[tokio::test]
async fn enabling_another_application_needs_security() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &["D365 AUTOMATION"]).await;
    let (other_id, other_user) = sample.other_app().await;
    let user = format!("{AUTOMATION}/companies({})/users({other_user})", sample.company);
    let enable = Some(r#"{"state":"Enabled"}"#);
    let (status, body) = sample.call(Method::PATCH, &user, enable, &[AUTOMATION_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "Authorization_InsufficientPermissions"));
    assert!(message(&body).contains("requires the SECURITY permission set"), "{body}");
    assert_eq!(sample.store().get(other_id).await.unwrap().state, "Disabled");

    // SECURITY limited to another company does not count here.
    sample.store().grant(CLIENT.parse().unwrap(), "SECURITY", "OTHER").await.unwrap();
    let (status, _) = sample.call(Method::PATCH, &user, enable, &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    sample.store().grant(CLIENT.parse().unwrap(), "SECURITY", "CRONUS US").await.unwrap();
    let (status, body) = sample.call(Method::PATCH, &user, enable, &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(sample.store().get(other_id).await.unwrap().state, "Enabled");
}

#[tokio::test]
async fn an_application_cannot_change_its_own_user_or_permissions() {
    let sample = Sample::new().await;
    sample.register(AppState::Enabled, &["D365 AUTOMATION", "SECURITY"]).await;
    let own_user = sample.own_user().await;
    let own = format!("{AUTOMATION}/companies({})/users({own_user})", sample.company);
    let grant = Some(r#"{"roleId":"D365 BUS FULL ACCESS"}"#);
    let (status, body) =
        sample.call(Method::POST, &format!("{own}/userPermissions"), grant, &[AUTOMATION_ROLE]).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "Authorization_InsufficientPermissions"));
    assert!(
        message(&body).starts_with(
            "Sorry, the current permissions prevented the action. An application cannot change its own \
             user or permission sets; make the change with another application or with the custos sample \
             business-central apps command.  CorrelationId:  "
        ),
        "{body}"
    );
    let sets = sample.store().get(CLIENT.parse().unwrap()).await.unwrap().permission_sets;
    assert_eq!(sets, ["D365 AUTOMATION", "SECURITY"], "nothing was granted");

    // Nor remove its sets, nor disable itself or change its other fields; an upper-case key is the same user.
    let (_, list) =
        sample.call(Method::GET, &format!("{own}/userPermissions"), None, &[AUTOMATION_ROLE]).await;
    let assignment = list["value"][0]["id"].as_str().unwrap().to_owned();
    let one = format!("{own}/userPermissions({assignment})");
    let (status, _) = sample.call(Method::DELETE, &one, None, &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let upper = format!("{AUTOMATION}/companies({})/users({})", sample.company, own_user.to_uppercase());
    let (status, _) =
        sample.call(Method::PATCH, &upper, Some(r#"{"state":"Disabled"}"#), &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        sample.call(Method::PATCH, &own, Some(r#"{"contactEmail":"a@b"}"#), &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = sample.call(Method::GET, &own, None, &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::OK, "reading its own user is allowed");

    // Other users' permissions can still be managed.
    let (_, other_user) = sample.other_app().await;
    let theirs = format!("{AUTOMATION}/companies({})/users({other_user})/userPermissions", sample.company);
    let (status, body) = sample.call(Method::POST, &theirs, grant, &[AUTOMATION_ROLE]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
