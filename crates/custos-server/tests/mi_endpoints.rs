//! The server's development managed-identity endpoints: an endpoint secret made through the
//! admin API selects the identity on `GET /msi/token` (App Service) and
//! `GET /msi/{secret}/metadata/identity/oauth2/token` (IMDS); the tokens are the identity's own;
//! every refusal has its protocol's shape; the secret is no client secret and a client secret
//! no endpoint secret; concurrent creates leave one secret; the endpoints answer only when
//! enabled.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use custos_authority::{Authority, AuthorityConfig, KeyManager, managed_identity};
use custos_core::ids::GRAPH_IDENTIFIER_URI;
use custos_core::model::ServicePrincipalType;
use custos_jose::secret::SecretHasher;
use serde_json::json;
use std::sync::Arc;

const APP_SERVICE: &str = "/msi/token?api-version=2019-08-01&resource=api://resource-v1";
const IMDS_QUERY: &str = "api-version=2018-02-01&resource=api://resource-v1";

struct Setup {
    fx: Fixture,
    router: axum::Router,
    mi: App,
    admin_token: String,
}

/// The fixture plus a directory API resource whose `Custos.Admin` role the fixture's client
/// holds, a managed identity with the v1 resource's `Read` role, and an authority with the
/// endpoints on or off.
async fn setup(enabled: bool) -> Setup {
    setup_on(Fixture::new().await, enabled).await
}

/// [`setup`] on the fixture `fx`.
async fn setup_on(fx: Fixture, enabled: bool) -> Setup {
    let store: &dyn custos_store::Store = fx.directory.as_ref();
    let graph = register(store, fx.tenant, "Directory API", Some(GRAPH_IDENTIFIER_URI), |a, _| {
        a.app_roles = vec![role("Custos.Admin", true)];
    })
    .await;
    assign(store, fx.tenant, &fx.client, &graph, &graph.app.app_roles[0]).await;
    let mi = register(store, fx.tenant, "worker", None, |_, sp| {
        sp.service_principal_type = ServicePrincipalType::ManagedIdentity;
    })
    .await;
    let read = fx.resource_v1.app.app_roles.iter().find(|r| r.value.as_deref() == Some("Read")).unwrap();
    assign(store, fx.tenant, &mi, &fx.resource_v1, read).await;

    let keys = KeyManager::load(fx.directory.store().clone(), [7; 32], fx.clock.clone()).await.unwrap();
    let config = AuthorityConfig { managed_identity_endpoints: enabled, ..AuthorityConfig::new(PUBLIC_URL) };
    let authority = Arc::new(
        Authority::new(config, fx.directory.clone(), SecretHasher::new(&[3; 32]), keys, fx.clock.clone())
            .with_sign_in_log(fx.sign_ins.clone()),
    );
    let router = directory_routes(&fx, &authority)
        .merge(authority.clone().router())
        .merge(managed_identity::router(authority));
    let mut setup = Setup { fx, router, mi, admin_token: String::new() };
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &setup.fx.client.app_id()),
        ("client_secret", SECRET),
        ("resource", GRAPH_IDENTIFIER_URI),
    ]);
    let reply = setup.send(post(&setup.fx.v1_token_path(), FORM).body(Body::from(body)).unwrap()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    setup.admin_token = reply.json["access_token"].as_str().unwrap().to_owned();
    setup
}

impl Setup {
    async fn send(&self, request: Request<Body>) -> Reply {
        send(&self.router, request).await
    }

    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    fn secret_path(&self, id: &str) -> String {
        format!("/admin/v1/tenants/{}/managedIdentities/{id}/endpointSecret", self.fx.tenant)
    }

    /// A `POST .../endpointSecret` request for the identity.
    fn create_request(&self, body: &str) -> Request<Body> {
        Request::post(self.secret_path(&self.mi.sp.id.to_string()))
            .header("authorization", format!("Bearer {}", self.admin_token))
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    /// `POST .../endpointSecret` for the identity.
    async fn create_secret(&self, body: &str) -> Reply {
        self.send(self.create_request(body)).await
    }

    async fn remove_secret(&self, id: &str) -> Reply {
        let request = Request::delete(self.secret_path(id))
            .header("authorization", format!("Bearer {}", self.admin_token))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// A new endpoint secret for the identity.
    async fn secret(&self) -> String {
        let reply = self.create_secret("").await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json["secret"].as_str().unwrap().to_owned()
    }
}

/// Checks an App Service error body and returns its message.
fn app_service_error(reply: &Reply, expected: u16) -> String {
    assert_eq!(reply.status.as_u16(), expected, "{}", reply.text);
    assert_eq!(reply.json["statusCode"], expected, "{}", reply.text);
    assert_eq!(reply.json["correlationId"].as_str().unwrap().len(), 36, "{}", reply.text);
    assert_eq!(reply.json.as_object().unwrap().len(), 3, "{}", reply.text);
    reply.json["message"].as_str().unwrap().to_owned()
}

/// Checks an IMDS error body and returns its description.
fn imds_error(reply: &Reply, expected: u16, error: &str) -> String {
    assert_eq!(reply.status.as_u16(), expected, "{}", reply.text);
    assert_eq!(reply.json["error"], error, "{}", reply.text);
    assert_eq!(reply.json.as_object().unwrap().len(), 2, "{}", reply.text);
    reply.json["error_description"].as_str().unwrap().to_owned()
}

const NO_HEADER: &str = "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.";

fn no_path_secret() -> String {
    format!(
        "The endpoint secret is missing or wrong: set AZURE_POD_IDENTITY_AUTHORITY_HOST={PUBLIC_URL}/msi/<endpoint secret> (custos mi endpoint-secret create)."
    )
}

/// On a directory reading tenants in slices (as large ones are), the identity's token carries
/// its role, a removed secret is refused at once, and no tenant was read whole.
#[tokio::test]
async fn a_sliced_tenant_serves_and_revokes_managed_identity_tokens() {
    let s = setup_on(Fixture::sliced().await, true).await;
    let secret = s.secret().await;
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &secret)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let claims = jwt_claims(reply.json["access_token"].as_str().unwrap());
    assert_eq!((claims["oid"].clone(), claims["roles"].clone()), (json!(s.mi.sp.id), json!(["Read"])));
    assert_eq!(s.remove_secret(&s.mi.sp.id.to_string()).await.status, 204);
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &secret)]).await;
    assert_eq!(app_service_error(&reply, 401), NO_HEADER);
    assert!(!s.fx.directory.caches_whole_snapshot(s.fx.tenant));
}

#[tokio::test]
async fn the_admin_api_makes_a_secret_and_the_urls_a_workload_uses() {
    let s = setup(true).await;
    let reply = s.create_secret(r#"{"days": 30}"#).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"), "the body holds a secret");
    let secret = reply.json["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 131);
    assert!(secret.starts_with("cmi"));
    assert_eq!(
        reply.json,
        json!({
            "id": s.mi.sp.id,
            "appId": s.mi.app.app_id,
            "tenantId": s.fx.tenant,
            "displayName": "worker",
            "keyId": reply.json["keyId"],
            "endDateTime": "2030-01-31T00:00:00Z",
            "secret": secret,
            "identityEndpoint": format!("{PUBLIC_URL}/msi/token"),
            "podIdentityAuthorityHost": format!("{PUBLIC_URL}/msi/{secret}"),
            "endpointsEnabled": true,
        })
    );
    // Stored as a keyed hash only.
    let app = s.fx.directory.store().application(s.fx.tenant, s.mi.app.id).await.unwrap().unwrap();
    assert_eq!(app.password_credentials.len(), 1);
    let stored = &app.password_credentials[0];
    assert_eq!(stored.hint, "cmi");
    assert!(!String::from_utf8_lossy(stored.secret_hash.expose()).contains(&secret[3..]));
}

#[tokio::test]
async fn app_service_issues_the_identity_s_own_token() {
    let s = setup(true).await;
    let secret = s.secret().await;
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &secret), ("Metadata", "true")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let token = reply.json["access_token"].as_str().unwrap();
    assert_eq!(
        reply.json,
        json!({
            "access_token": token,
            "expires_in": "86399",
            "expires_on": (NOW + 86_399).to_string(),
            "not_before": (NOW - 300).to_string(),
            "resource": "api://resource-v1",
            "token_type": "Bearer",
            "client_id": s.mi.app_id(),
        })
    );
    let c = jwt_claims(token);
    assert_eq!(c["oid"], s.mi.sp.id.to_string());
    assert_eq!(c["sub"], s.mi.sp.id.to_string());
    assert_eq!(c["appid"], s.mi.app_id());
    assert_eq!(c["appidacr"], "2");
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["aud"], "api://resource-v1");
    assert_eq!(c["roles"], json!(["Read"]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 86_399 + 300);
    assert_eq!(c["iss"], format!("{PUBLIC_URL}/{}/", s.fx.tenant));

    // One managed-identity sign-in, without the endpoint secret.
    s.fx.sign_ins.flush().await;
    let kinds = custos_store::SignInFilter {
        event_types: vec![custos_core::sign_in_log::SignInEventType::ManagedIdentity],
        ..Default::default()
    };
    let query = custos_store::LogQuery::newest(s.fx.tenant, 10);
    let records =
        custos_store::Store::sign_ins(s.fx.directory.as_ref(), &query, &kinds).await.unwrap().records;
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].app.app_id, s.mi.app_id());
    assert_eq!(
        records[0].credential.kind,
        Some(custos_core::sign_in_log::ClientCredentialType::ManagedIdentity)
    );
    assert_eq!(records[0].resource.as_ref().unwrap().app_id, s.fx.resource_v1.app_id());
    assert!(!serde_json::to_string(&records).unwrap().contains(&secret));
}

#[tokio::test]
async fn imds_takes_the_secret_as_a_path_prefix_or_a_header() {
    let s = setup(true).await;
    let secret = s.secret().await;
    // MSAL Node style: lower case, trailing slash.
    let prefixed = format!("/msi/{secret}/metadata/identity/oauth2/token/?{IMDS_QUERY}");
    let reply = s.get(&prefixed, &[("Metadata", "true")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["refresh_token"], "");
    assert_eq!(reply.json["expires_in"], "86399");
    assert_eq!(reply.json["client_id"], s.mi.app_id());
    assert_eq!(jwt_claims(reply.json["access_token"].as_str().unwrap())["oid"], s.mi.sp.id.to_string());

    let root = format!("/metadata/identity/oauth2/token?{IMDS_QUERY}");
    let reply = s.get(&root, &[("Metadata", "true"), ("X-IDENTITY-HEADER", &secret)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // Metadata: true is required however the secret comes.
    let reply = s.get(&prefixed, &[]).await;
    assert_eq!(imds_error(&reply, 400, "invalid_request"), "Required metadata header not specified");
    let reply = s.get(&root, &[("X-IDENTITY-HEADER", &secret)]).await;
    assert_eq!(imds_error(&reply, 400, "invalid_request"), "Required metadata header not specified");
    // No secret at the root.
    let reply = s.get(&root, &[("Metadata", "true")]).await;
    assert_eq!(imds_error(&reply, 401, "unauthorized"), no_path_secret());
}

#[tokio::test]
async fn a_missing_or_wrong_secret_gets_the_same_401() {
    let s = setup(true).await;
    let secret = s.secret().await;
    let other =
        format!("{}{}", &secret[..secret.len() - 4], if secret.ends_with("0000") { "1111" } else { "0000" });
    let unknown_identity = format!("{}{}{}", &secret[..35], "0".repeat(32), &secret[67..]);
    let wrong = [
        None,
        Some("short"),
        Some(other.as_str()),
        Some(unknown_identity.as_str()),
        // A client secret is no endpoint secret.
        Some(SECRET),
    ];
    for presented in wrong {
        let headers: Vec<(&str, &str)> = presented.map(|p| ("X-IDENTITY-HEADER", p)).into_iter().collect();
        let reply = s.get(APP_SERVICE, &headers).await;
        assert_eq!(app_service_error(&reply, 401), NO_HEADER, "{presented:?}");
        if let Some(p) = presented.filter(|p| !p.contains('/')) {
            let reply = s
                .get(
                    &format!("/msi/{p}/metadata/identity/oauth2/token?{IMDS_QUERY}"),
                    &[("Metadata", "true")],
                )
                .await;
            assert_eq!(imds_error(&reply, 401, "unauthorized"), no_path_secret(), "{presented:?}");
        }
    }
    // Nothing secret is in an error.
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &other)]).await;
    assert!(!reply.text.contains(&secret[67..]));
}

#[tokio::test]
async fn the_endpoint_secret_is_not_a_client_secret() {
    let s = setup(true).await;
    let secret = s.secret().await;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &s.mi.app_id()),
        ("client_secret", &secret),
        ("resource", "api://resource-v1"),
    ]);
    let reply = s.send(post(&s.fx.v1_token_path(), FORM).body(Body::from(body)).unwrap()).await;
    reply.assert_entra_error(401, "invalid_client", 7_000_215, PUBLIC_URL, TIMESTAMP);
}

#[tokio::test]
async fn selectors_must_name_the_secret_s_identity() {
    let s = setup(true).await;
    let secret = s.secret().await;
    let header = [("X-IDENTITY-HEADER", secret.as_str())];
    let prefixed = format!("/msi/{secret}/metadata/identity/oauth2/token?{IMDS_QUERY}");
    let metadata = [("Metadata", "true")];
    for selector in [
        format!("client_id={}", s.mi.app_id().to_uppercase()),
        format!("object_id={}", s.mi.sp.id),
        format!("principal_id={}", s.mi.sp.id),
    ] {
        let reply = s.get(&format!("{APP_SERVICE}&{selector}"), &header).await;
        assert_eq!(reply.status, 200, "{selector}: {}", reply.text);
        let reply = s.get(&format!("{prefixed}&{selector}"), &metadata).await;
        assert_eq!(reply.status, 200, "{selector}: {}", reply.text);
    }
    for selector in [
        format!("client_id={}", s.fx.client.app_id()),
        format!("object_id={}", s.fx.client.sp.id),
        "mi_res_id=/subscriptions/x".to_owned(),
        "msi_res_id=/subscriptions/x".to_owned(),
    ] {
        let reply = s.get(&format!("{APP_SERVICE}&{selector}"), &header).await;
        assert_eq!(app_service_error(&reply, 400), "Identity not found", "{selector}");
        let reply = s.get(&format!("{prefixed}&{selector}"), &metadata).await;
        assert_eq!(imds_error(&reply, 400, "invalid_request"), "Identity not found", "{selector}");
    }
    let both = format!("{prefixed}&client_id={}&object_id={}", s.mi.app_id(), s.mi.sp.id);
    assert_eq!(
        imds_error(&s.get(&both, &metadata).await, 400, "invalid_request"),
        "Only one of client_id, object_id, principal_id, mi_res_id and msi_res_id may be given."
    );
}

#[tokio::test]
async fn api_version_resource_and_method_are_checked() {
    let s = setup(true).await;
    let secret = s.secret().await;
    let header = [("X-IDENTITY-HEADER", secret.as_str())];
    let reply = s.get("/msi/token?api-version=2017-09-01&resource=api://resource-v1", &header).await;
    assert_eq!(
        app_service_error(&reply, 400),
        "The api-version '2017-09-01' is not supported; use api-version=2019-08-01."
    );
    let reply = s.get("/msi/token?resource=api://resource-v1", &header).await;
    assert_eq!(
        app_service_error(&reply, 400),
        "Required query variable 'api-version' is missing; use api-version=2019-08-01."
    );
    let reply = s.get("/msi/token?api-version=2019-08-01", &header).await;
    assert_eq!(app_service_error(&reply, 400), "Required query variable 'resource' is missing");
    let imds = format!("/msi/{secret}/metadata/identity/oauth2/token?api-version=2019-08-01&resource=r");
    assert_eq!(
        imds_error(&s.get(&imds, &[("Metadata", "true")]).await, 400, "invalid_request"),
        "The api-version '2019-08-01' is not supported; use api-version=2018-02-01."
    );
    // The authority's own refusal, in the protocol's shape.
    let unknown =
        format!("/msi/{secret}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://nowhere");
    let description = imds_error(&s.get(&unknown, &[("Metadata", "true")]).await, 400, "invalid_resource");
    assert!(
        description.starts_with("AADSTS500011: The resource principal named api://nowhere was not found"),
        "{description}"
    );
    let reply = s.get("/msi/token?api-version=2019-08-01&resource=api://nowhere", &header).await;
    assert!(app_service_error(&reply, 400).starts_with("invalid_resource: AADSTS500011: "));
    let request =
        Request::post(APP_SERVICE).header("X-IDENTITY-HEADER", &secret).body(Body::empty()).unwrap();
    assert_eq!(app_service_error(&s.send(request).await, 405), "Only GET is supported.");
}

#[tokio::test]
async fn a_new_secret_replaces_the_old_one_and_removal_withdraws_it() {
    let s = setup(true).await;
    let first = s.secret().await;
    let second = s.secret().await;
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &first)]).await;
    assert_eq!(app_service_error(&reply, 401), NO_HEADER);
    assert_eq!(s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &second)]).await.status, 200);

    let reply = s.remove_secret(&s.mi.app_id()).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &second)]).await;
    assert_eq!(app_service_error(&reply, 401), NO_HEADER);
    let reply = s.remove_secret(&s.mi.app_id()).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    assert_eq!(reply.json["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(
        reply.json["error"]["message"],
        format!("The managed identity '{}' has no endpoint secret.", s.mi.app_id())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_leave_exactly_one_working_secret() {
    let s = setup(true).await;
    for round in 0..4 {
        let tasks = [s.create_request(""), s.create_request("")].map(|request| {
            let router = s.router.clone();
            tokio::spawn(async move { send(&router, request).await })
        });
        let mut secrets = Vec::new();
        for task in tasks {
            let reply = task.await.unwrap();
            assert_eq!(reply.status, 201, "{}", reply.text);
            secrets.push(reply.json["secret"].as_str().unwrap().to_owned());
        }
        let mut working = 0;
        for secret in &secrets {
            let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", secret)]).await;
            if reply.status == 200 {
                working += 1;
            } else {
                assert_eq!(app_service_error(&reply, 401), NO_HEADER);
            }
        }
        assert_eq!(working, 1, "round {round}");
    }
    let app = s.fx.directory.store().application(s.fx.tenant, s.mi.app.id).await.unwrap().unwrap();
    assert_eq!(app.password_credentials.len(), 1, "{:?}", app.password_credentials);
}

#[tokio::test]
async fn an_expired_secret_stops_working() {
    let s = setup(true).await;
    let reply = s.create_secret(r#"{"days": 1}"#).await;
    let secret = reply.json["secret"].as_str().unwrap().to_owned();
    assert_eq!(s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &secret)]).await.status, 200);
    s.fx.clock.advance(time::Duration::days(1));
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", &secret)]).await;
    assert_eq!(app_service_error(&reply, 401), NO_HEADER);
}

#[tokio::test]
async fn the_admin_api_refuses_strangers_and_non_identities() {
    let s = setup(true).await;
    let path = s.secret_path(&s.mi.sp.id.to_string());
    let reply = s.send(Request::post(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.json["error"]["code"], "InvalidAuthenticationToken");
    // An ordinary application is not a managed identity.
    let reply = s.remove_secret(&s.fx.client.app_id()).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    let reply = s.create_secret(r#"{"days": 0}"#).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.json["error"]["message"], "'days' must be a whole number from 1 to 3650.");
}

#[tokio::test]
async fn the_endpoints_are_off_unless_enabled() {
    let s = setup(false).await;
    let reply = s.create_secret("").await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["endpointsEnabled"], false);
    let secret = reply.json["secret"].as_str().unwrap();
    let message = "The managed-identity endpoints are disabled on this server; start it with --dev-managed-identity-endpoints or run `custos agent` beside the workload.";
    let reply = s.get(APP_SERVICE, &[("X-IDENTITY-HEADER", secret)]).await;
    assert_eq!(app_service_error(&reply, 403), message);
    let imds = format!("/msi/{secret}/metadata/identity/oauth2/token?{IMDS_QUERY}");
    assert_eq!(imds_error(&s.get(&imds, &[("Metadata", "true")]).await, 403, "forbidden"), message);
}
