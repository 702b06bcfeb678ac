//! Directory audits of every kind of change the Graph and admin API make: each change leaves
//! exactly one record of Entra's activity naming the caller, the target and what changed; a
//! refused change leaves none; no record holds a secret or password the test created.

mod common;

use axum::body::Body;
use common::{BASE, Harness};
use custos_core::TenantId;
use custos_core::audit::{Activity, DirectoryAudit};
use custos_listener::ConnectionInfo;
use custos_store::LogQuery;
use custos_testkit::certs::TestCert;
use http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use time::macros::datetime;

/// Every record of `tenant`, newest first, in Graph's shape.
async fn records(h: &Harness, tenant: TenantId) -> Vec<Value> {
    let records: Vec<DirectoryAudit> =
        h.store.directory_audits(&LogQuery::newest(tenant, 1000)).await.unwrap().records;
    records.iter().map(DirectoryAudit::to_graph).collect()
}

/// The one record of tenant A with this activity on `target` (an object id); fails unless there
/// is exactly one.
async fn one(h: &Harness, activity: Activity, target: &str) -> Value {
    one_in(h, h.tenant_a(), activity, target).await
}

async fn one_in(h: &Harness, tenant: TenantId, activity: Activity, target: &str) -> Value {
    let matching: Vec<Value> = records(h, tenant)
        .await
        .into_iter()
        .filter(|r| {
            r["activityDisplayName"] == activity.display_name() && r["targetResources"][0]["id"] == target
        })
        .collect();
    assert_eq!(matching.len(), 1, "{activity:?} on {target}: {matching:#?}");
    matching.into_iter().next().unwrap()
}

/// The modified property `name` of the record's first target: (oldValue, newValue).
fn property(record: &Value, name: &str) -> (Value, Value) {
    let found = record["targetResources"][0]["modifiedProperties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["displayName"] == name)
        .unwrap_or_else(|| panic!("no {name} in {record:#}"));
    (found["oldValue"].clone(), found["newValue"].clone())
}

/// Asserts the record was made by tenant A's bootstrap admin application.
fn by_admin(h: &Harness, record: &Value) {
    let app = &record["initiatedBy"]["app"];
    assert_eq!(record["initiatedBy"]["user"], Value::Null, "{record:#}");
    assert_eq!(app["servicePrincipalId"], h.a.admin_service_principal_id.to_string());
    assert_eq!(app["appId"], h.a.admin_app_id.to_string());
    assert_eq!(app["displayName"], "custos admin");
    assert_eq!(record["result"], "success");
    assert_eq!(record["loggedByService"], "Core Directory");
}

#[tokio::test]
async fn application_changes_are_recorded_with_entras_names() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "Payroll"})).await;
    let id = app["id"].as_str().unwrap();
    let added = one(&h, Activity::AddApplication, id).await;
    by_admin(&h, &added);
    assert_eq!(added["category"], "ApplicationManagement");
    assert_eq!(added["operationType"], "Add");
    assert_eq!(added["targetResources"][0]["type"], "Application");
    assert_eq!(property(&added, "DisplayName"), (json!("[]"), json!("[\"Payroll\"]")));
    assert_eq!(property(&added, "AppId").1, json!(format!("[\"{}\"]", app["appId"].as_str().unwrap())));

    let patched =
        h.patch(&format!("/v1.0/applications/{id}"), "admin", json!({"displayName": "Payroll v2"})).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let updated = one(&h, Activity::UpdateApplication, id).await;
    assert_eq!(property(&updated, "DisplayName"), (json!("[\"Payroll\"]"), json!("[\"Payroll v2\"]")));
    assert_eq!(property(&updated, "Included Updated Properties").1, json!("\"DisplayName\""));

    let secret = h.post(&format!("/v1.0/applications/{id}/addPassword"), "admin", json!({})).await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.json);
    let key_id = secret.json["keyId"].as_str().unwrap();
    let credentials = one(&h, Activity::UpdateApplicationCredentials, id).await;
    assert_eq!(
        credentials["activityDisplayName"].as_str().unwrap().as_bytes(),
        "Update application \u{2013} Certificates and secrets management ".as_bytes()
    );
    let (old, new) = property(&credentials, "KeyDescription");
    assert_eq!(old, json!("[]"));
    assert!(new.as_str().unwrap().contains(&format!("KeyIdentifier={key_id},KeyType=Password")), "{new}");
    assert!(!credentials.to_string().contains(secret.json["secretText"].as_str().unwrap()));

    let removed =
        h.post(&format!("/v1.0/applications/{id}/removePassword"), "admin", json!({"keyId": key_id})).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let all = records(&h, h.tenant_a()).await;
    let removal = &all[0];
    assert_eq!(removal["activityDisplayName"], Activity::UpdateApplicationCredentials.display_name());
    let (old, new) = property(removal, "KeyDescription");
    assert!(old.as_str().unwrap().contains(key_id) && new == json!("[]"), "{old} -> {new}");

    let cert = TestCert::new("payroll", datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC));
    let with_key =
        json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert.base64()}]});
    let reply = h.patch(&format!("/v1.0/applications/{id}"), "admin", with_key).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    let newest = &records(&h, h.tenant_a()).await[0];
    assert_eq!(newest["activityDisplayName"], Activity::UpdateApplicationCredentials.display_name());
    assert!(property(newest, "KeyDescription").1.as_str().unwrap().contains("KeyType=AsymmetricX509Cert"));
    assert!(!newest.to_string().contains(&cert.base64()), "no certificate bytes in the record");
    let reply = h.patch(&format!("/v1.0/applications/{id}"), "admin", json!({"keyCredentials": []})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    let newest = &records(&h, h.tenant_a()).await[0];
    let (old, new) = property(newest, "KeyDescription");
    assert!(
        old.as_str().unwrap().contains("KeyType=AsymmetricX509Cert") && new == json!("[]"),
        "{old} -> {new}"
    );

    let fic = json!({"name": "gh-main", "issuer": "https://token.actions.githubusercontent.com",
                     "subject": "repo:o/r:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]});
    let base = format!("/v1.0/applications/{id}/federatedIdentityCredentials");
    assert_eq!(h.post(&base, "admin", fic).await.status, StatusCode::CREATED);
    let reply =
        h.patch(&format!("{base}/gh-main"), "admin", json!({"subject": "repo:o/r:environment:prod"})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    assert_eq!(h.delete(&format!("{base}/gh-main"), "admin").await.status, StatusCode::NO_CONTENT);
    let federated: Vec<Value> = records(&h, h.tenant_a())
        .await
        .into_iter()
        .filter(|r| r["activityDisplayName"] == "Update application" && r["targetResources"][0]["id"] == id)
        .filter(|r| {
            r["targetResources"][0]["modifiedProperties"][0]["displayName"] == "FederatedIdentityCredentials"
        })
        .collect();
    assert_eq!(federated.len(), 3, "add, update and remove: {federated:#?}");
    let (old, new) = property(&federated[1], "FederatedIdentityCredentials");
    assert!(
        old.as_str().unwrap().contains("refs/heads/main")
            && new.as_str().unwrap().contains("environment:prod")
    );

    assert_eq!(h.delete(&format!("/v1.0/applications/{id}"), "admin").await.status, StatusCode::NO_CONTENT);
    let deleted = one(&h, Activity::DeleteApplication, id).await;
    assert_eq!(deleted["operationType"], "Delete");
}

#[tokio::test]
async fn principals_and_app_role_assignments_are_recorded() {
    let h = Harness::new().await;
    let api = h
        .create_app(
            json!({"displayName": "Orders API", "appRoles": [{"id": "0b1e5f2c-8d6f-4a0c-9d1e-3c2b1a0f9e8d",
            "allowedMemberTypes": ["Application"], "displayName": "Read orders", "value": "Orders.Read",
            "description": "Reads orders", "isEnabled": true}]}),
        )
        .await;
    let client = h.create_app(json!({"displayName": "Order sync"})).await;
    let api_sp = h.create_sp(api["appId"].as_str().unwrap()).await;
    let client_sp = h.create_sp(client["appId"].as_str().unwrap()).await;
    let api_sp_id = api_sp["id"].as_str().unwrap();
    let client_sp_id = client_sp["id"].as_str().unwrap();
    let added = one(&h, Activity::AddServicePrincipal, client_sp_id).await;
    by_admin(&h, &added);
    assert_eq!(property(&added, "AccountEnabled"), (json!("[]"), json!("[true]")));

    let reply = h
        .patch(&format!("/v1.0/servicePrincipals/{client_sp_id}"), "admin", json!({"accountEnabled": false}))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    let updated = one(&h, Activity::UpdateServicePrincipal, client_sp_id).await;
    assert_eq!(property(&updated, "AccountEnabled"), (json!("[true]"), json!("[false]")));

    let body = json!({"principalId": client_sp_id, "resourceId": api_sp_id, "appRoleId": "0b1e5f2c-8d6f-4a0c-9d1e-3c2b1a0f9e8d"});
    let assigned =
        h.post(&format!("/v1.0/servicePrincipals/{api_sp_id}/appRoleAssignedTo"), "admin", body).await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.json);
    let grant = one(&h, Activity::AddAppRoleAssignment, api_sp_id).await;
    assert_eq!(grant["operationType"], "Assign");
    let names: Vec<&str> = grant["targetResources"][0]["modifiedProperties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..3], ["AppRole.Id", "AppRole.Value", "AppRole.DisplayName"], "Entra's order");
    assert_eq!(property(&grant, "AppRole.Value"), (Value::Null, json!("\"Orders.Read\"")));
    assert_eq!(property(&grant, "ServicePrincipal.ObjectID").1, json!(format!("\"{client_sp_id}\"")));

    let assignment = assigned.json["id"].as_str().unwrap();
    let reply = h
        .delete(&format!("/v1.0/servicePrincipals/{api_sp_id}/appRoleAssignedTo/{assignment}"), "admin")
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let revoked = one(&h, Activity::RemoveAppRoleAssignment, api_sp_id).await;
    assert_eq!(property(&revoked, "AppRole.Value"), (json!("\"Orders.Read\""), Value::Null));

    assert_eq!(
        h.delete(&format!("/v1.0/servicePrincipals/{client_sp_id}"), "admin").await.status,
        StatusCode::NO_CONTENT
    );
    one(&h, Activity::RemoveServicePrincipal, client_sp_id).await;
}

#[tokio::test]
async fn user_role_and_grant_changes_are_recorded_without_passwords() {
    let h = Harness::new().await;
    let user = h.create_user("alice").await;
    let id = user["id"].as_str().unwrap();
    let added = one(&h, Activity::AddUser, id).await;
    by_admin(&h, &added);
    assert_eq!(added["targetResources"][0]["userPrincipalName"], "alice@a.example");
    assert_eq!(added["category"], "UserManagement");

    let reply = h.patch(&format!("/v1.0/users/{id}"), "admin", json!({"displayName": "Alice Adams"})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let updated = one(&h, Activity::UpdateUser, id).await;
    assert_eq!(property(&updated, "DisplayName").1, json!("[\"Alice Adams\"]"));

    let password = "N3w-Passw0rd!x";
    let reply = h
        .patch(&format!("/v1.0/users/{id}"), "admin", json!({"passwordProfile": {"password": password}}))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    one(&h, Activity::ResetUserPassword, id).await;
    let newest = &records(&h, h.tenant_a()).await[0];
    assert_eq!(newest["activityDisplayName"], "Update user");
    assert!(property(newest, "Included Updated Properties").1.as_str().unwrap().contains("PasswordProfile"));

    let revoke = h.post(&format!("/v1.0/users/{id}/revokeSignInSessions"), "admin", json!({})).await;
    assert_eq!(revoke.status, StatusCode::OK);
    one(&h, Activity::UpdateStsRefreshTokenValidFrom, id).await;

    let role = h.assign_role(id, "62e90394-69f5-4237-9190-012177145e10").await;
    let member = one(&h, Activity::AddMemberToRole, id).await;
    assert_eq!(member["category"], "RoleManagement");
    assert_eq!(property(&member, "Role.DisplayName").1, json!("\"Global Administrator\""));
    assert_eq!(member["targetResources"][1]["type"], "Role");
    let reply = h.delete(&format!("/v1.0/roleManagement/directory/roleAssignments/{role}"), "admin").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    one(&h, Activity::RemoveMemberFromRole, id).await;

    let client = h.create_app(json!({"displayName": "Reader"})).await;
    let client_sp = h.create_sp(client["appId"].as_str().unwrap()).await;
    let graph = h.a.directory_service_principal_id.to_string();
    let body = json!({"clientId": client_sp["id"], "consentType": "AllPrincipals", "resourceId": graph, "scope": "User.Read"});
    let created = h.post("/v1.0/oauth2PermissionGrants", "admin", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let grant_id = created.json["id"].as_str().unwrap();
    let added = one(&h, Activity::AddDelegatedPermissionGrant, &graph).await;
    assert_eq!(property(&added, "DelegatedPermissionGrant.Scope").1, json!("\" User.Read\""));
    let reply = h
        .patch(
            &format!("/v1.0/oauth2PermissionGrants/{grant_id}"),
            "admin",
            json!({"scope": "User.Read openid"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    one(&h, Activity::UpdateDelegatedPermissionGrant, &graph).await;
    assert_eq!(
        h.delete(&format!("/v1.0/oauth2PermissionGrants/{grant_id}"), "admin").await.status,
        StatusCode::NO_CONTENT
    );
    one(&h, Activity::RemoveDelegatedPermissionGrant, &graph).await;

    assert_eq!(h.delete(&format!("/v1.0/users/{id}"), "admin").await.status, StatusCode::NO_CONTENT);
    one(&h, Activity::DeleteUser, id).await;

    let everything = serde_json::to_string(&records(&h, h.tenant_a()).await).unwrap();
    for secret in [password, "Passw0rd!"] {
        assert!(!everything.contains(secret), "a password in the audit log");
    }
}

#[tokio::test]
async fn admin_api_changes_are_recorded() {
    let h = Harness::new().await;
    let tenant = h.post("/admin/v1/tenants", "admin", json!({"domain": "c.example"})).await;
    assert_eq!(tenant.status, StatusCode::CREATED, "{}", tenant.json);
    let c: TenantId = tenant.json["id"].as_str().unwrap().parse().unwrap();
    let company = one_in(&h, c, Activity::CreateCompany, &c.to_string()).await;
    by_admin(&h, &company);
    assert_eq!(company["category"], "DirectoryManagement");
    let provisioned = records(&h, c).await;
    assert!(provisioned.iter().any(|r| r["activityDisplayName"] == "Add application"));
    assert!(provisioned.iter().all(|r| r["initiatedBy"]["app"]["servicePrincipalId"]
        == company["initiatedBy"]["app"]["servicePrincipalId"]));

    let reply =
        h.patch("/admin/v1/tenants/a.example/settings", "admin", json!({"allowPasswordGrant": true})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let policy = one(&h, Activity::UpdateAuthorizationPolicy, &h.tenant_a().to_string()).await;
    assert_eq!(property(&policy, "allowPasswordGrant"), (json!("[false]"), json!("[true]")));

    let mi = h.create_managed_identity("worker").await;
    let mi_id = mi["id"].as_str().unwrap();
    let added = one(&h, Activity::AddServicePrincipal, mi_id).await;
    assert_eq!(
        added["additionalDetails"],
        json!([{"key": "ServicePrincipalType", "value": "ManagedIdentity"}])
    );
    let reply =
        h.delete(&format!("/admin/v1/tenants/{}/managedIdentities/{mi_id}", h.tenant_a()), "admin").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    one(&h, Activity::RemoveServicePrincipal, mi_id).await;
    let deleted = &records(&h, h.tenant_a()).await[..2];
    assert!(deleted.iter().any(|r| r["activityDisplayName"] == "Delete application"), "{deleted:#?}");
    assert_eq!(deleted[0]["correlationId"], deleted[1]["correlationId"], "one change, one correlation id");

    let app = h
        .create_app(json!({"displayName": "activity reader", "signInAudience": "AzureADMultipleOrgs",
            "requiredResourceAccess": [{"resourceAppId": "c5393580-f805-4401-95e8-94b7a6ef2fc2", "resourceAccess": [
                {"id": "594c1fb6-4f81-4475-ae41-0c394909246c", "type": "Role"},
                {"id": "594c1fb6-4f81-4475-ae41-0c394909246c", "type": "Scope"}]}]}))
        .await;
    let consent =
        h.post("/admin/v1/tenants/b.example/consent", "admin", json!({"appId": app["appId"]})).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.json);
    let sp = consent.json["servicePrincipalId"].as_str().unwrap();
    let b = h.b.tenant.id;
    let consented = one_in(&h, b, Activity::ConsentToApplication, sp).await;
    by_admin(&h, &consented);
    assert_eq!(property(&consented, "ConsentContext.IsAdminConsent").1, json!("\"True\""));
    let permissions = property(&consented, "ConsentAction.Permissions").1;
    assert!(permissions.as_str().unwrap().contains("Scope:  ActivityFeed.Read"), "{permissions}");
    let all = records(&h, b).await;
    let correlation = &consented["correlationId"];
    let same: Vec<&Value> = all.iter().filter(|r| r["correlationId"] == *correlation).collect();
    // Consent, the service principal, the delegated grant and the app role assignment.
    assert_eq!(same.len(), 4, "{same:#?}");
    // Consenting again changes nothing and records nothing.
    let again = h.post("/admin/v1/tenants/b.example/consent", "admin", json!({"appId": app["appId"]})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(records(&h, b).await.len(), all.len());
}

#[tokio::test]
async fn refused_changes_record_nothing() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "Taken", "identifierUris": ["api://taken"]})).await;
    let before = records(&h, h.tenant_a()).await.len();
    let unknown = "00000000-0000-0000-0000-00000000abcd";
    let attempts = [
        (Method::POST, "/v1.0/applications".to_owned(), json!({}), StatusCode::BAD_REQUEST),
        (
            Method::POST,
            "/v1.0/applications".to_owned(),
            json!({"displayName": "x", "identifierUris": ["api://taken"]}),
            StatusCode::BAD_REQUEST,
        ),
        (Method::DELETE, format!("/v1.0/applications/{unknown}"), Value::Null, StatusCode::NOT_FOUND),
        (
            Method::PATCH,
            format!("/v1.0/applications/{unknown}"),
            json!({"displayName": "y"}),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            format!("/v1.0/applications/{}/removePassword", app["id"].as_str().unwrap()),
            json!({"keyId": unknown}),
            StatusCode::BAD_REQUEST,
        ),
        (Method::POST, "/v1.0/users".to_owned(), json!({"displayName": "n"}), StatusCode::BAD_REQUEST),
        (Method::POST, "/admin/v1/tenants".to_owned(), json!({"domain": "a.example"}), StatusCode::CONFLICT),
        (
            Method::PATCH,
            "/admin/v1/tenants/a.example/settings".to_owned(),
            json!({"assertionReplay": "sometimes"}),
            StatusCode::BAD_REQUEST,
        ),
        (Method::POST, "/v1.0/applications".to_owned(), json!({"displayName": "no"}), StatusCode::FORBIDDEN),
    ];
    for (method, uri, body, status) in attempts {
        let token = if status == StatusCode::FORBIDDEN { "reader" } else { "admin" };
        let body = (!body.is_null()).then_some(body);
        let reply = h.call(method.clone(), &uri, token, body).await;
        assert_eq!(reply.status, status, "{method} {uri}: {}", reply.json);
        assert_eq!(records(&h, h.tenant_a()).await.len(), before, "{method} {uri} left a record");
    }
}

#[tokio::test]
async fn the_actor_is_named_with_its_address_and_correlation_id() {
    let h = Harness::new().await;
    let correlation = "5e0d7a34-2f51-4c3e-9a4b-0c1d2e3f4a5b";
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("{BASE}/v1.0/applications"))
        .header("authorization", "Bearer admin")
        .header("client-request-id", correlation)
        .header("content-type", "application/json")
        .body(Body::from(json!({"displayName": "Traced"}).to_string()))
        .unwrap();
    let peer: std::net::SocketAddr = "203.0.113.9:50123".parse().unwrap();
    request.extensions_mut().insert(ConnectionInfo { peer, tls: true });
    let reply = custos_testkit::http::send(&h.router, request).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.json["id"].as_str().unwrap();
    let record = one(&h, Activity::AddApplication, id).await;
    assert_eq!(record["correlationId"], correlation);
    assert_eq!(record["initiatedBy"]["app"]["ipAddress"], "203.0.113.9");
    let record_id = record["id"].as_str().unwrap();
    assert!(record_id.starts_with(&format!("Directory_{correlation}_")), "{record_id}");

    // A signed-in administrator (delegated token) is the user initiator.
    let admin = h.create_user("carol").await;
    let carol = admin["id"].as_str().unwrap();
    h.assign_role(carol, "62e90394-69f5-4237-9190-012177145e10").await;
    h.add_user_token("carol", carol, &["Application.ReadWrite.All"], &[]);
    let reply = h.post("/v1.0/applications", "carol", json!({"displayName": "By Carol"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let record = one(&h, Activity::AddApplication, reply.json["id"].as_str().unwrap()).await;
    assert_eq!(record["initiatedBy"]["app"], Value::Null);
    assert_eq!(record["initiatedBy"]["user"]["id"], carol);
    assert_eq!(record["initiatedBy"]["user"]["userPrincipalName"], "carol@a.example");
}

#[tokio::test]
async fn no_record_holds_a_secret_the_test_created() {
    let h = Harness::new().await;
    let mut secrets = vec![h.a.admin_secret.expose().clone(), h.b.admin_secret.expose().clone()];
    let app = h.create_app(json!({"displayName": "Secretive"})).await;
    let id = app["id"].as_str().unwrap();
    for _ in 0..3 {
        let reply = h
            .post(
                &format!("/v1.0/applications/{id}/addPassword"),
                "admin",
                json!({"passwordCredential": {"displayName": "x"}}),
            )
            .await;
        secrets.push(reply.json["secretText"].as_str().unwrap().to_owned());
    }
    let tenant = h.post("/admin/v1/tenants", "admin", json!({"domain": "d.example"})).await;
    secrets.push(tenant.json["adminClientSecret"].as_str().unwrap().to_owned());
    let d: TenantId = tenant.json["id"].as_str().unwrap().parse().unwrap();
    let password = "Sup3r-Secret-Pw!";
    let user = h
        .post(
            "/v1.0/users",
            "admin",
            json!({"accountEnabled": true, "displayName": "Dora",
            "userPrincipalName": "dora@a.example", "passwordProfile": {"password": password}}),
        )
        .await;
    secrets.push(password.to_owned());
    let reset = "An0ther-Secret-Pw!";
    let uri = format!("/v1.0/users/{}", user.json["id"].as_str().unwrap());
    assert_eq!(
        h.patch(&uri, "admin", json!({"passwordProfile": {"password": reset}})).await.status,
        StatusCode::NO_CONTENT
    );
    secrets.push(reset.to_owned());

    let mut all = Vec::new();
    for tenant in [h.tenant_a(), h.b.tenant.id, d] {
        all.extend(records(&h, tenant).await);
    }
    assert!(all.len() > 20, "the scan saw the records: {}", all.len());
    let text = serde_json::to_string(&all).unwrap();
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret in the audit log");
        assert!(!text.contains(&secret[3..]), "part of a secret in the audit log");
    }
}
