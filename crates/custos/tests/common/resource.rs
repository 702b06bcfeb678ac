//! The resource side of a running server: a tenant driven through Graph by its admin (APIs with an
//! app role, daemons with a secret, role assignments, tokens) and `custos_guard::Guard`s that trust
//! the server's development CA.

use super::{Server, admin_token, token};
use custos_core::FixedClock;
use custos_guard::{Guard, GuardConfigInput};
use custos_testkit::http::jwt_header;
use reqwest::blocking::Client;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

/// The app role every API of [`Tenant::api`] defines and every guard of [`guard`] requires.
pub const ROLE: &str = "Orders.Read";

/// One tenant of the running server, seen through its admin's Graph token.
pub struct Tenant<'a> {
    pub http: &'a Client,
    pub base: String,
    pub id: String,
    pub admin: String,
}

impl<'a> Tenant<'a> {
    /// The server's first tenant, driven by its bootstrap admin (`init` is `custos init --json`).
    pub fn home(http: &'a Client, base: &str, init: &Value) -> Self {
        Tenant {
            http,
            base: base.to_owned(),
            id: init["tenantId"].as_str().unwrap().to_owned(),
            admin: admin_token(http, base, init),
        }
    }

    pub fn graph(&self, path: &str, body: &Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.admin)
            .json(body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().unwrap();
        assert!(matches!(status, 200 | 201), "POST {path}: {status} {body}");
        body
    }

    /// Registers an application and its service principal; returns (appId, SP object id, app).
    pub fn register(&self, body: &Value) -> (String, String, Value) {
        let app = self.graph("/v1.0/applications", body);
        let app_id = app["appId"].as_str().unwrap().to_owned();
        let sp = self.graph("/v1.0/servicePrincipals", &json!({ "appId": app_id }));
        (app_id, sp["id"].as_str().unwrap().to_owned(), app)
    }

    /// An API with identifier URI `uri`, access tokens of `version`, and the app role [`ROLE`];
    /// returns (appId, SP object id, role id).
    pub fn api(&self, uri: &str, version: u8) -> (String, String, String) {
        let role_id = uuid::Uuid::new_v4().to_string();
        let (app_id, sp, _) = self.register(&json!({
            "displayName": uri,
            "identifierUris": [uri],
            "api": { "requestedAccessTokenVersion": version },
            "appRoles": [{
                "id": role_id, "allowedMemberTypes": ["Application"], "value": ROLE,
                "displayName": ROLE, "description": "Read orders", "isEnabled": true
            }]
        }));
        (app_id, sp, role_id)
    }

    /// A daemon with a client secret; returns (appId, SP object id, secret).
    pub fn daemon(&self, name: &str) -> (String, String, String) {
        let (app_id, sp, app) = self.register(&json!({ "displayName": name }));
        let path = format!("/v1.0/applications/{}/addPassword", app["id"].as_str().unwrap());
        let secret = self.graph(&path, &json!({ "passwordCredential": { "displayName": "test" } }));
        (app_id, sp, secret["secretText"].as_str().unwrap().to_owned())
    }

    pub fn assign(&self, daemon_sp: &str, (_, api_sp, role_id): &(String, String, String)) {
        self.graph(
            &format!("/v1.0/servicePrincipals/{api_sp}/appRoleAssignedTo"),
            &json!({ "principalId": daemon_sp, "resourceId": api_sp, "appRoleId": role_id }),
        );
    }

    /// A client-credentials access token for `scope` (v2 endpoint).
    pub fn token(&self, (client_id, _, secret): &(String, String, String), scope: &str) -> String {
        let (status, body) = token(self.http, &self.base, &self.id, client_id, secret, scope);
        assert_eq!(status, 200, "token for {scope}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// A guard for the v2 and v1 APIs of `tenant`, trusting the server's CA, with its own clock.
pub fn guard(server: &Server, tenant: &str, audiences: &str) -> (Arc<Guard>, Arc<FixedClock>) {
    let ca = server.data_dir.join("tls/ca.pem");
    let toml = format!(
        "Authority = \"{}\"\nCaFile = \"{}\"\nServiceAuthTenantId = \"{tenant}\"\nServiceAuthAudience = \"{audiences}\"\nServiceAuthRole = \"{ROLE}\"\n",
        server.url(),
        ca.display()
    );
    let config = GuardConfigInput::from_toml_str(&toml).unwrap().validate().unwrap();
    #[allow(clippy::disallowed_methods)] // the test clock starts at the server's wall-clock time
    let clock = Arc::new(FixedClock::new(OffsetDateTime::now_utc()));
    (Arc::new(Guard::new(config, Arc::clone(&clock) as _).unwrap()), clock)
}

pub fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    headers
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The `kid` of a compact JWS.
pub fn kid(token: &str) -> String {
    jwt_header(token)["kid"].as_str().unwrap().to_owned()
}
