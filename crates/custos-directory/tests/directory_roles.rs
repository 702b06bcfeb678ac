//! Directory role assignments (`entra-user-flows.md` §8.3), the delegated permission model
//! (scope ∩ directory role), the lock-out rule for the last Global Administrator, and tenant
//! isolation.

mod common;

use common::{AssertGraphError, BASE, Harness, audit};
use custos_core::TenantId;
use custos_core::ids::GRAPH_APP_ID;
use custos_core::users::{APPLICATION_ADMINISTRATOR, GLOBAL_ADMINISTRATOR};
use custos_directory::Caller;
use http::StatusCode;
use serde_json::json;

const ASSIGNMENTS: &str = "/v1.0/roleManagement/directory/roleAssignments";

#[tokio::test]
async fn assignments_have_graph_s_shape_and_rules() {
    let h = Harness::new().await;
    let user = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let body = json!({"@odata.type": "#microsoft.graph.unifiedRoleAssignment",
                      "roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": user, "directoryScopeId": "/"});
    let created = h.post(ASSIGNMENTS, "admin", body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.json,
        json!({"@odata.context": format!("{BASE}/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity"),
               "id": id, "roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": user, "directoryScopeId": "/"})
    );
    assert_eq!(
        h.post(ASSIGNMENTS, "admin", body.clone()).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "A conflicting object with one or more of the specified property values is present in the directory."
    );
    let unknown_role = json!({"roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1", "principalId": user, "directoryScopeId": "/"});
    h.post(ASSIGNMENTS, "admin", unknown_role).await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let not_a_user = json!({"roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(),
                            "principalId": h.a.admin_service_principal_id.to_string(), "directoryScopeId": "/"});
    h.post(ASSIGNMENTS, "admin", not_a_user).await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let no_scope = json!({"roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": user});
    assert_eq!(
        h.post(ASSIGNMENTS, "admin", no_scope).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'directoryScopeId' of resource 'UnifiedRoleAssignment'."
    );
    h.post(ASSIGNMENTS, "writer", body).await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    let listed = h.get(&format!("{ASSIGNMENTS}?$filter=principalId%20eq%20'{user}'"), "admin").await;
    assert_eq!(listed.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(h.get(&format!("{ASSIGNMENTS}/{id}"), "admin").await.json["principalId"], user.as_str());

    // Tenant B sees none of it.
    assert_eq!(h.get(ASSIGNMENTS, "admin-b").await.json["value"], json!([]));
    h.get(&format!("{ASSIGNMENTS}/{id}"), "admin-b")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    h.delete(&format!("{ASSIGNMENTS}/{id}"), "admin-b")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let cross = json!({"roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": user, "directoryScopeId": "/"});
    h.post(ASSIGNMENTS, "admin-b", cross).await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    assert_eq!(h.delete(&format!("{ASSIGNMENTS}/{id}"), "admin").await.status, StatusCode::NO_CONTENT);
    h.get(&format!("{ASSIGNMENTS}/{id}"), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn a_delegated_caller_needs_both_the_scope_and_an_admin_role() {
    let h = Harness::new().await;
    let alice = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let new_app = json!({"displayName": "by alice"});
    // Roles in a delegated token are never application permissions.
    h.add_user_token(
        "alice",
        &alice,
        &["Application.ReadWrite.All"],
        &["Application.ReadWrite.All", "Custos.Admin"],
    );
    let refused = h.post("/v1.0/applications", "alice", new_app.clone()).await;
    refused.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    h.assign_role(&alice, &APPLICATION_ADMINISTRATOR.to_string()).await;
    let allowed = h.post("/v1.0/applications", "alice", new_app.clone()).await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.json);
    h.add_user_token("alice-read", &alice, &["User.Read"], &[]);
    let no_scope = h.post("/v1.0/applications", "alice-read", new_app).await;
    no_scope.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    // An Application Administrator may not grant the directory API's app roles to itself.
    let graph_sp = h.store.service_principal_by_app_id(h.tenant_a(), GRAPH_APP_ID).await.unwrap().unwrap();
    h.add_user_token("alice-assign", &alice, &["AppRoleAssignment.ReadWrite.All"], &[]);
    let client = h.create_sp(allowed.json["appId"].as_str().unwrap()).await;
    let grant = json!({"principalId": client["id"], "resourceId": graph_sp.id.to_string(),
                       "appRoleId": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"});
    let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", graph_sp.id);
    h.post(&path, "alice-assign", grant).await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    // custos' admin API: a Global Administrator's Directory.ReadWrite.All (the portal's way in),
    // never the token's roles nor another scope.
    h.add_user_token("alice-all", &alice, &["Directory.ReadWrite.All"], &[]);
    h.get("/admin/v1/tenants", "alice-all").await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    h.assign_role(&alice, &GLOBAL_ADMINISTRATOR.to_string()).await;
    h.add_user_token("alice-roles", &alice, &["User.ReadWrite.All", "Custos.Admin"], &["Custos.Admin"]);
    h.get("/admin/v1/tenants", "alice-roles")
        .await
        .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let tenants = h.get("/admin/v1/tenants", "alice-all").await;
    assert_eq!(tenants.status, StatusCode::OK, "a home-tenant Global Administrator: {}", tenants.json);
    let users = h.get("/v1.0/users", "alice-all").await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.json);
}

#[tokio::test]
async fn another_tenant_s_global_administrator_manages_that_tenant_only() {
    let h = Harness::new().await;
    let b: TenantId =
        h.get("/admin/v1/tenants/b.example", "admin").await.json["id"].as_str().unwrap().parse().unwrap();
    let body = json!({"accountEnabled": true, "displayName": "bob", "userPrincipalName": "bob@b.example",
                      "passwordProfile": {"password": "Passw0rd!"}});
    let bob = h.post("/v1.0/users", "admin-b", body).await.json["id"].as_str().unwrap().to_owned();
    let role = json!({"roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": bob, "directoryScopeId": "/"});
    assert_eq!(h.post(ASSIGNMENTS, "admin-b", role).await.status, StatusCode::CREATED);
    let caller = |tenant_id| Caller {
        tenant_id,
        app_id: custos_core::ids::PORTAL_APP_ID,
        object_id: bob.parse().unwrap(),
        roles: Vec::new(),
        scopes: Some(vec!["Directory.ReadWrite.All".to_owned()]),
        origin: Default::default(),
    };
    h.add_token("bob", caller(b));
    let own = h.get("/admin/v1/tenants/b.example/managedIdentities", "bob").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.json);
    let created =
        h.post("/admin/v1/tenants/b.example/managedIdentities", "bob", json!({"displayName": "job"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    for (path, what) in [
        ("/admin/v1/tenants/a.example/managedIdentities", "the home tenant"),
        ("/admin/v1/tenants/nowhere.example/managedIdentities", "a tenant that does not exist"),
        ("/admin/v1/tenants", "the installation's tenants"),
        ("/admin/v1/signing-keys", "the signing keys"),
    ] {
        let refused = h.get(path, "bob").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{what}: {}", refused.json);
    }
    // An app-only caller of tenant B never qualifies, whatever roles its token claims.
    h.get("/admin/v1/tenants/b.example/managedIdentities", "admin-b")
        .await
        .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

#[tokio::test]
async fn the_last_way_in_is_not_removed() {
    let h = Harness::new().await;
    let alice = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let assignment = h.assign_role(&alice, &GLOBAL_ADMINISTRATOR.to_string()).await;
    // With the bootstrap admin application enabled, alice is not the last administrator.
    let mut admin_sp =
        h.store.service_principal(h.tenant_a(), h.a.admin_service_principal_id).await.unwrap().unwrap();
    admin_sp.account_enabled = false;
    h.store.update_service_principal(&admin_sp, &audit()).await.unwrap();
    h.add_user_token("alice", &alice, &["RoleManagement.ReadWrite.Directory", "User.ReadWrite.All"], &[]);
    let last = h.delete(&format!("{ASSIGNMENTS}/{assignment}"), "alice").await;
    assert_eq!(
        last.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        format!(
            "User '{alice}' is the tenant's last Global Administrator: assign the role to another user first."
        )
    );
    h.delete(&format!("/v1.0/users/{alice}"), "alice")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let disable = h.patch(&format!("/v1.0/users/{alice}"), "alice", json!({"accountEnabled": false})).await;
    disable.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    let bob = h.create_user("bob").await["id"].as_str().unwrap().to_owned();
    h.assign_role(&bob, &GLOBAL_ADMINISTRATOR.to_string()).await;
    let ok = h.delete(&format!("{ASSIGNMENTS}/{assignment}"), "alice").await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.json);
}
