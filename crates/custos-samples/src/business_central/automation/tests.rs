//! Handler tests of the Automation API on its own router (no guard, no authorization), against an
//! in-memory database with the demo company and users.

use axum::body::Body;
use axum::extract::Request;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::business_central::apps::{Applications, Description};
use crate::business_central::authorize::Caller;
use crate::business_central::test_support::{Fixture as Api, exchange};

const BASE: &str = "/v2.0/production/api/microsoft/automation/v2.0";
const ADMIN: &str = "2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a01";
const JIM: &str = "2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a03";

struct Reply {
    status: StatusCode,
    etag: Option<String>,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Api {
    fn url(&self, rest: &str) -> String {
        format!("{BASE}/companies({})/{rest}", self.company)
    }

    async fn send(&self, method: Method, path: &str, if_match: Option<&str>, body: Option<Value>) -> Reply {
        self.send_as(None, method, path, if_match, body).await
    }

    /// Sends as `caller` would arrive from the authorization middleware (`None`: without it).
    async fn send_as(
        &self,
        caller: Option<Caller>,
        method: Method,
        path: &str,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let uri = path.replace(' ', "%20").replace('\'', "%27");
        let mut builder = Request::builder().method(method).uri(uri).header("Host", "bc.example");
        if let Some(caller) = caller {
            builder = builder.extension(caller);
        }
        if let Some(tag) = if_match {
            builder = builder.header("If-Match", tag);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("Content-Type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let router = super::router().with_state(self.state.clone());
        let (status, headers, bytes) = exchange(router, builder.body(body).unwrap()).await;
        let etag = headers.get("etag").map(|v| v.to_str().unwrap().to_owned());
        Reply { status, etag, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }
}

#[tokio::test]
async fn companies_are_listed_with_automation_fields() {
    let api = Api::new().await;
    let reply = api.get(&format!("{BASE}/companies")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["@odata.context"], format!("http://bc.example{BASE}/$metadata#companies"));
    let company = &reply.body["value"][0];
    assert_eq!(company["name"], "CRONUS US");
    assert_eq!(company["systemVersion"], "21.2.49946.51685");
    let mut keys: Vec<&str> = company.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["@odata.etag", "businessProfileId", "displayName", "id", "name", "systemVersion"]);
    let one = api.get(&format!("{BASE}/companies({})", api.company)).await;
    assert_eq!((one.status, one.body["id"].as_str()), (StatusCode::OK, Some(api.company.as_str())));
    assert_eq!(one.etag.as_deref(), one.body["@odata.etag"].as_str());
}

#[tokio::test]
async fn automation_companies_lifecycle() {
    let api = Api::new().await;
    let created = api
        .send(
            Method::POST,
            &api.url("automationCompanies"),
            None,
            Some(json!({"name": "CRONUS NEW", "displayName": "Cronus New Ltd.", "businessProfileId": ""})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["evaluationCompany"], false);
    assert_eq!(created.body["displayName"], "Cronus New Ltd.");
    assert_eq!(
        created.body["@odata.context"],
        format!("http://bc.example{BASE}/$metadata#companies({})/automationCompanies/$entity", api.company)
    );
    // The new company is a company of API v2.0 too.
    let listed = api.get(&format!("{BASE}/companies?$filter=name eq 'CRONUS NEW'")).await;
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(1), "{}", listed.body);

    let duplicate = api
        .send(Method::POST, &api.url("automationCompanies"), None, Some(json!({"name": "cronus new"})))
        .await;
    assert_eq!(
        (duplicate.status, duplicate.code()),
        (StatusCode::CONFLICT, "Internal_EntityWithSameKeyExists")
    );
    let nameless = api
        .send(Method::POST, &api.url("automationCompanies"), None, Some(json!({"displayName": "x"})))
        .await;
    assert_eq!(
        (nameless.status, nameless.code()),
        (StatusCode::BAD_REQUEST, "Application_FieldValidationException")
    );
    let read_only = api
        .send(
            Method::POST,
            &api.url("automationCompanies"),
            None,
            Some(json!({"name": "A", "evaluationCompany": true})),
        )
        .await;
    assert_eq!(
        (read_only.status, read_only.code()),
        (StatusCode::BAD_REQUEST, "BadRequest_InvalidOperation")
    );
    let too_long = api
        .send(Method::POST, &api.url("automationCompanies"), None, Some(json!({"name": "N".repeat(31)})))
        .await;
    assert_eq!(too_long.code(), "Application_StringExceededLength");

    let single = api.url(&format!("automationCompanies({id})"));
    let rename = Some(json!({"name": "CRONUS RENAMED"}));
    let missing = api.send(Method::PATCH, &single, None, rename.clone()).await;
    assert_eq!((missing.status, missing.code()), (StatusCode::BAD_REQUEST, "BadRequest_InvalidToken"));
    let renamed = api.send(Method::PATCH, &single, created.etag.as_deref(), rename.clone()).await;
    assert_eq!((renamed.status, &renamed.body["name"]), (StatusCode::OK, &json!("CRONUS RENAMED")));
    let stale = api.send(Method::PATCH, &single, created.etag.as_deref(), rename).await;
    assert_eq!((stale.status, stale.code()), (StatusCode::CONFLICT, "Request_EntityChanged"));
    let stale_delete = api.send(Method::DELETE, &single, created.etag.as_deref(), None).await;
    assert_eq!(stale_delete.status, StatusCode::CONFLICT);
    let deleted = api.send(Method::DELETE, &single, None, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = api.get(&single).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::NOT_FOUND, "BadRequest_ResourceNotFound"));
}

#[tokio::test]
async fn users_are_listed_and_patched_with_if_match() {
    let api = Api::new().await;
    let list = api.get(&api.url("users?$filter=state eq 'Enabled'&$select=userName&$count=true")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["@odata.count"], 2);
    assert_eq!(list.body["value"][0]["userName"], "ADMIN");
    let jim = api.url(&format!("users({JIM})"));
    let one = api.get(&jim).await;
    assert_eq!(one.body["displayName"], "Jim Olive");
    assert_eq!(one.body["expiryDate"], "0001-01-01T00:00:00.000Z");
    let patch = Some(json!({"state": "Enabled", "expiryDate": "2027-12-31T00:00:00Z"}));
    let missing = api.send(Method::PATCH, &jim, None, patch.clone()).await;
    assert_eq!(missing.code(), "BadRequest_InvalidToken");
    let patched = api.send(Method::PATCH, &jim, Some("*"), patch).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["state"], "Enabled");
    assert_eq!(patched.body["expiryDate"], "2027-12-31T00:00:00.000Z");
    assert_ne!(patched.etag, one.etag);
    let stale =
        api.send(Method::PATCH, &jim, one.etag.as_deref(), Some(json!({"contactEmail": "j@x"}))).await;
    assert_eq!(stale.code(), "Request_EntityChanged");
    let read_only = api.send(Method::PATCH, &jim, Some("*"), Some(json!({"userName": "JIMMY"}))).await;
    assert_eq!(read_only.code(), "BadRequest_InvalidOperation");
    let bad_state = api.send(Method::PATCH, &jim, Some("*"), Some(json!({"state": "Asleep"}))).await;
    assert_eq!(bad_state.code(), "Application_EvaluateException");
    let unknown = api.get(&api.url("users(00000000-0000-0000-0000-0000000000aa)")).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::NOT_FOUND, "BadRequest_ResourceNotFound"));
}

/// A caller (another app's user) holding `roles`.
fn caller(roles: &[&str]) -> Option<Caller> {
    let roles = roles.iter().map(|r| (*r).to_owned()).collect();
    Some(Caller { user_security_id: "6a7b8c9d-0000-4000-8000-0000000000ff".to_owned(), roles })
}

#[tokio::test]
async fn patching_an_application_user_state_changes_the_card_with_security_only() {
    let api = Api::new().await;
    let store = Applications::new(api.state.db.pool(), api.clock.as_ref());
    let client = "6a7b8c9d-0000-4000-8000-000000000001".parse().unwrap();
    let card = store.add(client, &Description::parse("App").unwrap()).await.unwrap();
    let user = api.url(&format!("users({})", card.user_security_id));
    let enable = Some(json!({"state": "Enabled"}));
    for refused_as in [None, caller(&["D365 AUTOMATION", "EXTEND. MGT. - ADMIN"])] {
        let refused = api.send_as(refused_as, Method::PATCH, &user, Some("*"), enable.clone()).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::FORBIDDEN, "Authorization_InsufficientPermissions")
        );
        assert!(
            refused.body["error"]["message"].as_str().unwrap().starts_with(
                "Sorry, the current permissions prevented the action. Changing the State of a Microsoft \
                 Entra application requires the SECURITY permission set (or the custos sample \
                 business-central apps enable and disable commands).  CorrelationId:  "
            ),
            "{}",
            refused.body
        );
        assert_eq!(store.get(client).await.unwrap().state, "Disabled");
    }
    // Other fields, and a `state` equal to the current one, need no SECURITY.
    let unchanged = Some(json!({"state": "Disabled", "contactEmail": "app@example.com"}));
    let other = api.send_as(caller(&["D365 AUTOMATION"]), Method::PATCH, &user, Some("*"), unchanged).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);

    let patched = api.send_as(caller(&["SECURITY"]), Method::PATCH, &user, Some("*"), enable).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(store.get(client).await.unwrap().state, "Enabled");
    // Human users' state needs no SECURITY.
    let jim = api.url(&format!("users({JIM})"));
    let human = api
        .send_as(
            caller(&["D365 AUTOMATION"]),
            Method::PATCH,
            &jim,
            Some("*"),
            Some(json!({"state": "Enabled"})),
        )
        .await;
    assert_eq!(human.status, StatusCode::OK, "{}", human.body);
}

#[tokio::test]
async fn user_permissions_are_created_listed_and_deleted() {
    let api = Api::new().await;
    let permissions = api.url(&format!("users({ADMIN})/userPermissions"));
    let created = api
        .send(Method::POST, &permissions, None, Some(json!({"roleId": "SECURITY", "company": "CRONUS"})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["roleId"], "SECURITY");
    assert_eq!(created.body["company"], "CRONUS");
    assert_eq!(created.body["userSecurityId"], ADMIN);
    assert_eq!(created.body["scope"], "System");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let list = api.get(&permissions).await;
    let roles: Vec<&str> =
        list.body["value"].as_array().unwrap().iter().filter_map(|p| p["roleId"].as_str()).collect();
    assert_eq!(roles, ["SECURITY", "SUPER"]);
    let again = api
        .send(Method::POST, &permissions, None, Some(json!({"roleId": "security", "company": "CRONUS"})))
        .await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "Internal_EntityWithSameKeyExists"));
    let unknown = api.send(Method::POST, &permissions, None, Some(json!({"roleId": "NOPE"}))).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::BAD_REQUEST, "Application_FieldValidationException")
    );
    let no_role = api.send(Method::POST, &permissions, None, Some(json!({"company": "CRONUS"}))).await;
    assert_eq!(no_role.code(), "Application_FieldValidationException");
    let one = api.get(&format!("{permissions}({id})")).await;
    assert_eq!(one.body["displayName"], "Assign permissions to users");
    let deleted = api.send(Method::DELETE, &format!("{permissions}({id})"), None, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = api.send(Method::DELETE, &format!("{permissions}({id})"), None, None).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::NOT_FOUND, "BadRequest_ResourceNotFound"));
}

#[tokio::test]
async fn application_users_cannot_get_super() {
    let api = Api::new().await;
    let store = Applications::new(api.state.db.pool(), api.clock.as_ref());
    let card = store
        .add("6a7b8c9d-0000-4000-8000-000000000001".parse().unwrap(), &Description::parse("App").unwrap())
        .await
        .unwrap();
    let permissions = api.url(&format!("users({})/userPermissions", card.user_security_id));
    let refused = api.send(Method::POST, &permissions, None, Some(json!({"roleId": "SUPER"}))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Applications can't be assigned the SUPER permission set."),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn permission_sets_are_the_catalogue() {
    let api = Api::new().await;
    let sets = api.get(&api.url("permissionSets")).await;
    assert_eq!(sets.status, StatusCode::OK);
    let ids: Vec<&str> =
        sets.body["value"].as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
    for wanted in ["D365 AUTOMATION", "D365 BUS FULL ACCESS", "D365 READ", "EXTEND. MGT. - ADMIN", "SUPER"] {
        assert!(ids.contains(&wanted), "{wanted} in {ids:?}");
    }
}

#[tokio::test]
async fn bad_paths_methods_and_bodies_are_bc_errors() {
    let api = Api::new().await;
    let unknown_company =
        api.get(&format!("{BASE}/companies(00000000-0000-0000-0000-0000000000aa)/users")).await;
    assert_eq!(
        (unknown_company.status, unknown_company.code()),
        (StatusCode::NOT_FOUND, "BadRequest_ResourceNotFound")
    );
    let unknown_set = api.get(&api.url("customers")).await;
    assert_eq!((unknown_set.status, unknown_set.code()), (StatusCode::NOT_FOUND, "BadRequest_NotFound"));
    let not_allowed = api.send(Method::DELETE, &api.url("users"), None, None).await;
    assert_eq!(
        (not_allowed.status, not_allowed.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "BadRequest_MethodNotAllowed")
    );
    let malformed = api.send(Method::POST, &api.url("automationCompanies"), None, None).await;
    assert_eq!((malformed.status, malformed.code()), (StatusCode::BAD_REQUEST, "BadRequest"));
    let bad_filter = api.get(&api.url("users?$filter=userName eq '")).await;
    assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);
    let huge_top = api.get(&api.url("users?$top=99999999")).await;
    assert_eq!(huge_top.status, StatusCode::BAD_REQUEST);
    let tenant_form = api
        .get("/v2.0/72f988bf-86f1-41af-91ab-2d7cd011db47/production/api/microsoft/automation/v2.0/companies")
        .await;
    assert_eq!(tenant_form.status, StatusCode::OK);
}
