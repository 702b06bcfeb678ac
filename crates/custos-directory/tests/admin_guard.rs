//! Regression tests for issue 10: tenant-level Graph permissions must not reach custos' own
//! admin role, and a tenant must not lock itself out.
//!
//! - An application holding `Custos.Admin` (the bootstrap admin of tenant A) is changed, given
//!   or stripped of credentials and role assignments, disabled or deleted only by a caller
//!   holding `Custos.Admin`; `Custos.Admin` is granted and revoked only by such a caller. Graph's
//!   403 `Authorization_RequestDenied` otherwise.
//! - The directory API's service principal cannot be disabled or deleted, and a tenant's last
//!   administrator cannot be deleted, disabled or stripped of its role (400).

mod common;

use common::{AssertGraphError, Harness, audit};
use custos_core::ids::GRAPH_APP_ID;
use custos_directory::provision::{APPLICATION_READ_WRITE_ALL, CUSTOS_ADMIN_ROLE_ID, recover_admin};
use http::{Method, StatusCode};
use serde_json::{Value, json};

const DENIED: &str = "Insufficient privileges to complete the operation.";
const APPLICATION_READ_ALL: &str = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30";

fn assert_denied(reply: &common::Reply, what: &str) {
    assert_eq!(reply.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied"), DENIED, "{what}");
}

/// A fresh application with a service principal in tenant A: `(object id, appId, sp id)`.
async fn ordinary_app(h: &Harness) -> (String, String, String) {
    let app = h.create_app(json!({"displayName": "ordinary"})).await;
    let app_id = app["appId"].as_str().unwrap().to_owned();
    let sp = h.create_sp(&app_id).await;
    (app["id"].as_str().unwrap().to_owned(), app_id, sp["id"].as_str().unwrap().to_owned())
}

/// `POST /v1.0/servicePrincipals/{via}/{segment}` as `token`, granting the directory API's `role`
/// to `principal`.
async fn grant(
    h: &Harness,
    via: &str,
    segment: &str,
    token: &str,
    principal: &str,
    role: &str,
) -> common::Reply {
    let directory = h.a.directory_service_principal_id;
    let body = json!({"principalId": principal, "resourceId": directory, "appRoleId": role});
    h.post(&format!("/v1.0/servicePrincipals/{via}/{segment}"), token, body).await
}

/// The id of `principal`'s assignment of `role` on the directory API.
async fn assignment_id(h: &Harness, principal: &str, role: &str) -> String {
    let listed = h.get(&format!("/v1.0/servicePrincipals/{principal}/appRoleAssignments"), "admin").await;
    let found = listed.json["value"].as_array().unwrap().iter().find(|a| a["appRoleId"] == role);
    found.unwrap_or_else(|| panic!("{principal} holds no {role}: {}", listed.json))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn application_writers_cannot_touch_the_credentials_of_an_administrator() {
    let h = Harness::new().await;
    let admin = h.a.admin_object_id.to_string();
    let admin_app_id = h.a.admin_app_id.to_string();
    let key_id = "11111111-2222-3333-4444-555555555555";
    let certificate =
        json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": "MIIB", "keyId": key_id});
    let fic = json!({"name": "gh", "issuer": "https://token.actions.githubusercontent.com",
                     "subject": "repo:o/r:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]});
    let attempts = [
        (Method::POST, format!("/v1.0/applications/{admin}/addPassword"), json!({})),
        (Method::POST, format!("/v1.0/applications(appId='{admin_app_id}')/addPassword"), json!({})),
        (Method::POST, format!("/v1.0/applications/{admin}/removePassword"), json!({"keyId": key_id})),
        (
            Method::POST,
            format!("/v1.0/applications/{admin}/addKey"),
            json!({"keyCredential": certificate, "passwordCredential": null, "proof": "x.y.z"}),
        ),
        (
            Method::POST,
            format!("/v1.0/applications/{admin}/removeKey"),
            json!({"keyId": key_id, "proof": "x"}),
        ),
        (Method::POST, format!("/v1.0/applications/{admin}/federatedIdentityCredentials"), fic.clone()),
        (
            Method::POST,
            format!("/v1.0/applications(appId='{admin_app_id}')/federatedIdentityCredentials"),
            fic,
        ),
        (Method::PATCH, format!("/v1.0/applications/{admin}"), json!({"keyCredentials": [certificate]})),
        (
            Method::PATCH,
            format!("/v1.0/applications(appId='{admin_app_id}')"),
            json!({"displayName": "mine"}),
        ),
        (Method::DELETE, format!("/v1.0/applications/{admin}"), Value::Null),
        (Method::DELETE, format!("/v1.0/servicePrincipals/{}", h.a.admin_service_principal_id), Value::Null),
        (
            Method::PATCH,
            format!("/v1.0/servicePrincipals/{}", h.a.admin_service_principal_id),
            json!({"accountEnabled": false}),
        ),
    ];
    for (method, uri, body) in attempts {
        let body = (!body.is_null()).then_some(body);
        let reply = h.call(method.clone(), &uri, "writer", body).await;
        assert_denied(&reply, &format!("{method} {uri}"));
    }
    let stored = h.store.application(h.tenant_a(), h.a.admin_object_id).await.unwrap().unwrap();
    assert_eq!(stored.password_credentials.len(), 1, "no secret was added");
    assert!(stored.key_credentials.is_empty() && stored.federated_identity_credentials.is_empty());
    assert_eq!(stored.display_name, "custos admin");

    // An ordinary application is the writer's to manage, as before.
    let (id, _, _) = ordinary_app(&h).await;
    let reply = h.post(&format!("/v1.0/applications/{id}/addPassword"), "writer", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    // And a holder of Custos.Admin manages the administrator.
    let reply = h.post(&format!("/v1.0/applications/{admin}/addPassword"), "admin", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

#[tokio::test]
async fn assignment_writers_cannot_grant_or_revoke_custos_admin_nor_touch_an_administrator() {
    let h = Harness::new().await;
    let directory = h.a.directory_service_principal_id.to_string();
    let admin_sp = h.a.admin_service_principal_id.to_string();
    let (_, _, other) = ordinary_app(&h).await;
    let admin_role = CUSTOS_ADMIN_ROLE_ID.to_string();

    let reply = grant(&h, &directory, "appRoleAssignedTo", "assigner", &other, &admin_role).await;
    assert_denied(&reply, "appRoleAssignedTo grant of Custos.Admin");
    let reply = grant(&h, &other, "appRoleAssignments", "assigner", &other, &admin_role).await;
    assert_denied(&reply, "appRoleAssignments grant of Custos.Admin");
    let reply = grant(&h, &admin_sp, "appRoleAssignments", "assigner", &admin_sp, APPLICATION_READ_ALL).await;
    assert_denied(&reply, "a grant to the administrator");

    // Revoking any role of the administrator, or Custos.Admin of anyone.
    let read_all = assignment_id(&h, &admin_sp, APPLICATION_READ_ALL).await;
    for uri in [
        format!("/v1.0/servicePrincipals/{admin_sp}/appRoleAssignments/{read_all}"),
        format!("/v1.0/servicePrincipals/{directory}/appRoleAssignedTo/{read_all}"),
    ] {
        assert_denied(&h.delete(&uri, "assigner").await, &uri);
    }

    // Other roles stay the assigner's business.
    let reply = grant(&h, &directory, "appRoleAssignedTo", "assigner", &other, APPLICATION_READ_ALL).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);

    // A holder of Custos.Admin grants and revokes it.
    let reply = grant(&h, &directory, "appRoleAssignedTo", "admin", &other, &admin_role).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let granted = reply.json["id"].as_str().unwrap().to_owned();
    // Now `other` is an administrator: the assigner may not strip it of anything either.
    let uri = format!("/v1.0/servicePrincipals/{other}/appRoleAssignments/{granted}");
    assert_denied(&h.delete(&uri, "assigner").await, "revoke Custos.Admin");
    let reply = h.delete(&uri, "admin").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
}

#[tokio::test]
async fn the_directory_api_service_principal_cannot_be_disabled_or_deleted() {
    let h = Harness::new().await;
    let uri = format!("/v1.0/servicePrincipals/{}", h.a.directory_service_principal_id);
    let reply = h.patch(&uri, "admin", json!({"accountEnabled": false})).await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "The directory API service principal cannot be disabled."
    );
    let by_app_id = format!("/v1.0/servicePrincipals(appId='{GRAPH_APP_ID}')");
    let reply = h.patch(&by_app_id, "admin", json!({"accountEnabled": false})).await;
    reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let reply = h.delete(&uri, "admin").await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "The directory API service principal cannot be deleted."
    );
    let sp =
        h.store.service_principal(h.tenant_a(), h.a.directory_service_principal_id).await.unwrap().unwrap();
    assert!(sp.account_enabled);
    let reply = h.patch(&uri, "admin", json!({"appRoleAssignmentRequired": false})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "other changes stay possible: {}", reply.json);
}

#[tokio::test]
async fn the_last_administrator_cannot_be_deleted_disabled_or_stripped_of_its_role() {
    let h = Harness::new().await;
    let admin_sp = h.a.admin_service_principal_id.to_string();
    let last = format!(
        "Service principal '{admin_sp}' is the tenant's last administrator (app role Custos.Admin): grant Custos.Admin to another application first."
    );
    let admin_role = CUSTOS_ADMIN_ROLE_ID.to_string();
    let grant_id = assignment_id(&h, &admin_sp, &admin_role).await;
    let attempts = [
        h.delete(&format!("/v1.0/applications/{}", h.a.admin_object_id), "admin").await,
        h.delete(&format!("/v1.0/applications(appId='{}')", h.a.admin_app_id), "admin").await,
        h.delete(&format!("/v1.0/servicePrincipals/{admin_sp}"), "admin").await,
        h.patch(&format!("/v1.0/servicePrincipals/{admin_sp}"), "admin", json!({"accountEnabled": false}))
            .await,
        h.delete(&format!("/v1.0/servicePrincipals/{admin_sp}/appRoleAssignments/{grant_id}"), "admin").await,
    ];
    for reply in attempts {
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), last);
    }
    assert!(h.store.application(h.tenant_a(), h.a.admin_object_id).await.unwrap().is_some());

    // With a second administrator the first one can go.
    let (_, _, other) = ordinary_app(&h).await;
    let directory = h.a.directory_service_principal_id.to_string();
    let reply = grant(&h, &directory, "appRoleAssignedTo", "admin", &other, &admin_role).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let reply = h.delete(&format!("/v1.0/applications/{}", h.a.admin_object_id), "admin").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
}

#[tokio::test]
async fn a_tenant_without_custos_admin_keeps_its_last_application_administrator() {
    let h = Harness::new().await;
    let sp = h.b.admin_service_principal_id;
    let reply = h.delete(&format!("/v1.0/applications/{}", h.b.admin_object_id), "admin-b").await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        format!(
            "Service principal '{sp}' is the tenant's last administrator (app role Application.ReadWrite.All): grant Application.ReadWrite.All to another application first."
        )
    );
    let grant_id = {
        let listed = h.get(&format!("/v1.0/servicePrincipals/{sp}/appRoleAssignments"), "admin-b").await;
        let all = listed.json["value"].as_array().unwrap().clone();
        let found = all.iter().find(|a| a["appRoleId"] == APPLICATION_READ_WRITE_ALL.to_string()).unwrap();
        found["id"].as_str().unwrap().to_owned()
    };
    let reply =
        h.delete(&format!("/v1.0/servicePrincipals/{sp}/appRoleAssignments/{grant_id}"), "admin-b").await;
    reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn recovery_rebuilds_a_tenant_s_administrator_from_the_store() {
    let h = Harness::new().await;
    let tenant = h.tenant_a();
    // A tenant broken beyond what Graph now allows: admin deleted, directory API disabled.
    h.store.delete_application(tenant, h.a.admin_object_id, &audit()).await.unwrap();
    let mut directory =
        h.store.service_principal(tenant, h.a.directory_service_principal_id).await.unwrap().unwrap();
    directory.account_enabled = false;
    h.store.update_service_principal(&directory, &audit()).await.unwrap();

    let clock = custos_core::FixedClock::new(time::macros::datetime!(2026-03-02 00:00 UTC));
    let recovered = recover_admin(h.store.as_ref(), &h.hasher, &clock, None).await.unwrap();
    assert_eq!(recovered.tenant.id, tenant, "the home tenant by default");
    let app = h.store.application(tenant, recovered.admin.object_id).await.unwrap().unwrap();
    assert_eq!(app.display_name, "custos admin");
    assert_eq!(app.password_credentials.len(), 1);
    assert!(h.hasher.verify(recovered.secret.expose(), app.password_credentials[0].secret_hash.expose()));
    let sp = h.store.service_principal(tenant, recovered.admin.service_principal_id).await.unwrap().unwrap();
    assert!(sp.account_enabled);
    let directory =
        h.store.service_principal(tenant, h.a.directory_service_principal_id).await.unwrap().unwrap();
    assert!(directory.account_enabled, "the directory API is enabled again");
    let mut held: Vec<_> = h
        .store
        .assignments(tenant)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.principal_id == sp.id && a.resource_id == directory.id)
        .map(|a| a.app_role_id)
        .collect();
    held.sort();
    let mut all: Vec<_> =
        custos_directory::provision::directory_app_roles().into_iter().map(|r| r.id).collect();
    all.sort();
    assert_eq!(held, all, "every directory role, Custos.Admin included");

    // Again: the same admin, a second secret, no duplicate assignments.
    let again = recover_admin(h.store.as_ref(), &h.hasher, &clock, Some("a.example")).await.unwrap();
    assert_eq!(again.admin, recovered.admin);
    let app = h.store.application(tenant, again.admin.object_id).await.unwrap().unwrap();
    assert_eq!(app.password_credentials.len(), 2);
    assert_eq!(
        h.store.assignments(tenant).await.unwrap().iter().filter(|a| a.principal_id == sp.id).count(),
        all.len()
    );
    let missing =
        recover_admin(h.store.as_ref(), &h.hasher, &clock, Some("nowhere.example")).await.unwrap_err();
    assert_eq!(missing.to_string(), "there is no tenant 'nowhere.example'");
}
