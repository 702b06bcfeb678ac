//! Service principals and app role assignments through the Graph API.

mod common;

use common::{AssertGraphError, BASE, Harness, audit};
use custos_core::model::{ServicePrincipal, ServicePrincipalType};
use custos_core::{AppId, ObjectId};
use http::StatusCode;
use serde_json::{Value, json};

const READ: &str = "11111111-2222-3333-4444-555555555555";
const USER_ONLY: &str = "22222222-2222-3333-4444-555555555555";
const DISABLED: &str = "33333333-2222-3333-4444-555555555555";

/// A resource API with three roles and a client, both with service principals.
async fn api_and_client(h: &Harness) -> (Value, Value) {
    let api = h
        .create_app(json!({
            "displayName": "orders api",
            "identifierUris": ["api://orders"],
            "appRoles": [
                {"id": READ, "allowedMemberTypes": ["Application"], "value": "Orders.Read"},
                {"id": USER_ONLY, "allowedMemberTypes": ["User"], "value": "Orders.User"},
                {"id": DISABLED, "allowedMemberTypes": ["Application"], "value": "Orders.Old", "isEnabled": false}
            ]
        }))
        .await;
    let client = h.create_app(json!({"displayName": "daemon"})).await;
    let api_sp = h.create_sp(api["appId"].as_str().unwrap()).await;
    let client_sp = h.create_sp(client["appId"].as_str().unwrap()).await;
    (api_sp, client_sp)
}

#[tokio::test]
async fn service_principals_create_get_patch_list_delete() {
    let h = Harness::new().await;
    let app = h
        .create_app(json!({"displayName": "api", "identifierUris": ["api://x"], "appRoles": [
        {"id": READ, "allowedMemberTypes": ["Application"], "value": "X.Read"}]}))
        .await;
    let app_id = app["appId"].as_str().unwrap();
    let sp = h.create_sp(app_id).await;
    assert_eq!(sp["@odata.context"], format!("{BASE}/v1.0/$metadata#servicePrincipals/$entity"));
    assert_eq!(sp["appId"], app_id);
    assert_eq!(sp["appDisplayName"], "api");
    assert_eq!(sp["displayName"], "api");
    assert_eq!(sp["accountEnabled"], true);
    assert_eq!(sp["appRoleAssignmentRequired"], false);
    assert_eq!(sp["servicePrincipalType"], "Application");
    assert_eq!(sp["appOwnerOrganizationId"], h.tenant_a().to_string());
    assert_eq!(sp["servicePrincipalNames"], json!([app_id, "api://x"]));
    assert_eq!(sp["appRoles"][0]["value"], "X.Read");
    assert_eq!(sp["tags"], json!([]));
    let id = sp["id"].as_str().unwrap();

    let duplicate = h.post("/v1.0/servicePrincipals", "admin", json!({"appId": app_id})).await;
    duplicate.error(StatusCode::BAD_REQUEST, "Request_MultipleObjectsWithSameKeyValue");
    let stranger = AppId::new_random();
    let missing = h.post("/v1.0/servicePrincipals", "admin", json!({"appId": stranger})).await;
    assert_eq!(
        missing.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        format!(
            "The appId '{stranger}' of the service principal does not reference a valid application object."
        )
    );

    let patched = h
        .patch(
            &format!("/v1.0/servicePrincipals/{id}"),
            "writer",
            json!({"accountEnabled": false, "appRoleAssignmentRequired": true}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let got = h.get(&format!("/v1.0/servicePrincipals(appId='{app_id}')"), "reader").await;
    assert_eq!(got.json["accountEnabled"], false);
    assert_eq!(got.json["appRoleAssignmentRequired"], true);
    let bad = h.patch(&format!("/v1.0/servicePrincipals/{id}"), "writer", json!({"colour": "new"})).await;
    bad.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    let list = h
        .get("/v1.0/servicePrincipals?$filter=appId%20eq%20'00000003-0000-0000-c000-000000000000'", "reader")
        .await;
    assert_eq!(list.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(list.json["value"][0]["displayName"], "Microsoft Graph");
    assert_eq!(list.json["value"][0]["appRoles"].as_array().unwrap().len(), 11);
    let graph_sp = list.json["value"][0]["id"].as_str().unwrap().to_owned();
    let protected = h.delete(&format!("/v1.0/servicePrincipals/{graph_sp}"), "writer").await;
    protected.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    assert_eq!(
        h.delete(&format!("/v1.0/servicePrincipals/{id}"), "writer").await.status,
        StatusCode::NO_CONTENT
    );
    h.get(&format!("/v1.0/servicePrincipals/{id}"), "reader")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn managed_identities_are_read_only() {
    let h = Harness::new().await;
    let mi = ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: h.tenant_a(),
        app_id: AppId::new_random(),
        display_name: "worker-identity".into(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::ManagedIdentity,
        properties: Default::default(),
        created: time::macros::datetime!(2026-03-01 12:00 UTC),
    };
    h.store.create_service_principal(&mi, &audit()).await.unwrap();
    let got = h.get(&format!("/v1.0/servicePrincipals/{}", mi.id), "reader").await;
    assert_eq!(got.json["servicePrincipalType"], "ManagedIdentity");
    assert_eq!(got.json["appRoles"], json!([]));
    let patch = h
        .patch(&format!("/v1.0/servicePrincipals/{}", mi.id), "writer", json!({"accountEnabled": false}))
        .await;
    patch.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let delete = h.delete(&format!("/v1.0/servicePrincipals/{}", mi.id), "writer").await;
    delete.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn assignments_create_list_delete() {
    let h = Harness::new().await;
    let (api_sp, client_sp) = api_and_client(&h).await;
    let (api, client) = (api_sp["id"].as_str().unwrap(), client_sp["id"].as_str().unwrap());

    let created = h
        .post(
            &format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo"),
            "assigner",
            json!({"principalId": client, "resourceId": api, "appRoleId": READ}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let a = &created.json;
    assert_eq!(a["id"].as_str().unwrap().len(), 43);
    assert_eq!(a["principalType"], "ServicePrincipal");
    assert_eq!(a["principalDisplayName"], "daemon");
    assert_eq!(a["resourceDisplayName"], "orders api");
    assert_eq!(a["appRoleId"], READ);
    assert_eq!(a["deletedDateTime"], Value::Null);
    assert_eq!(a["createdDateTime"], "2026-03-01T12:00:00Z");
    let assignment_id = a["id"].as_str().unwrap().to_owned();

    let again = h
        .post(
            &format!("/v1.0/servicePrincipals/{client}/appRoleAssignments"),
            "assigner",
            json!({"principalId": client, "resourceId": api, "appRoleId": READ}),
        )
        .await;
    assert_eq!(
        again.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Permission being assigned already exists on the object"
    );

    let to = h.get(&format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo"), "reader").await;
    assert_eq!(
        to.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#servicePrincipals('{api}')/appRoleAssignedTo")
    );
    assert_eq!(to.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(to.json["value"][0]["id"], assignment_id.as_str());
    let of = h.get(&format!("/v1.0/servicePrincipals/{client}/appRoleAssignments"), "assigner").await;
    assert_eq!(of.json["value"][0]["id"], assignment_id.as_str());
    let none = h.get(&format!("/v1.0/servicePrincipals/{api}/appRoleAssignments"), "reader").await;
    assert_eq!(none.json["value"], json!([]));

    // The assignment belongs to the api on the appRoleAssignedTo side only.
    let wrong_side = h
        .delete(&format!("/v1.0/servicePrincipals/{api}/appRoleAssignments/{assignment_id}"), "assigner")
        .await;
    wrong_side.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let deleted = h
        .delete(&format!("/v1.0/servicePrincipals/{client}/appRoleAssignments/{assignment_id}"), "assigner")
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let to = h.get(&format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo"), "reader").await;
    assert_eq!(to.json["value"], json!([]));
}

#[tokio::test]
async fn assignments_are_validated() {
    let h = Harness::new().await;
    let (api_sp, client_sp) = api_and_client(&h).await;
    let (api, client) = (api_sp["id"].as_str().unwrap(), client_sp["id"].as_str().unwrap());
    let uri = format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo");
    let api_app_id = api_sp["appId"].as_str().unwrap();
    for role in [USER_ONLY, DISABLED, "44444444-2222-3333-4444-555555555555"] {
        let reply = h
            .post(&uri, "assigner", json!({"principalId": client, "resourceId": api, "appRoleId": role}))
            .await;
        assert_eq!(
            reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
            format!("Permission being assigned was not found on application '{api_app_id}'."),
            "{role}"
        );
    }
    let mismatch = h
        .post(&uri, "assigner", json!({"principalId": client, "resourceId": client, "appRoleId": READ}))
        .await;
    mismatch.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let ghost = ObjectId::new_random();
    let missing =
        h.post(&uri, "assigner", json!({"principalId": ghost, "resourceId": api, "appRoleId": READ})).await;
    missing.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let default_access = h
        .post(&uri, "assigner", json!({"principalId": client, "resourceId": api, "appRoleId": "00000000-0000-0000-0000-000000000000"}))
        .await;
    assert_eq!(default_access.status, StatusCode::CREATED);
    let writer_cannot =
        h.post(&uri, "writer", json!({"principalId": client, "resourceId": api, "appRoleId": READ})).await;
    writer_cannot.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

/// Issue 15: `servicePrincipals(appId='…')/appRoleAssignedTo` was a 404 with an empty body
/// although the principal exists; both relationships, read and write, by appId.
#[tokio::test]
async fn assignments_are_reachable_by_app_id() {
    let h = Harness::new().await;
    let (api, client) = api_and_client(&h).await;
    let (api_id, api_app_id) = (api["id"].as_str().unwrap(), api["appId"].as_str().unwrap());
    let (client_id, client_app_id) = (client["id"].as_str().unwrap(), client["appId"].as_str().unwrap());
    let to = format!("/v1.0/servicePrincipals(appId='{api_app_id}')/appRoleAssignedTo");
    let empty = h.get(&to, "reader").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.json);
    assert_eq!(empty.json["value"], json!([]));
    assert_eq!(
        empty.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#servicePrincipals('{api_id}')/appRoleAssignedTo")
    );
    let created = h
        .post(&to, "assigner", json!({"principalId": client_id, "resourceId": api_id, "appRoleId": READ}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let assignment = created.json["id"].as_str().unwrap();
    let from_client = format!("/v1.0/servicePrincipals(appId='{client_app_id}')/appRoleAssignments");
    let listed = h.get(&from_client, "reader").await;
    assert_eq!(listed.json["value"][0]["id"], assignment);
    assert_eq!(listed.json["value"][0]["resourceDisplayName"], "orders api");
    let filtered = h.get(&format!("{from_client}?$filter=resourceId%20eq%20'{api_id}'"), "reader").await;
    assert_eq!(filtered.json["value"].as_array().unwrap().len(), 1);
    let deleted = h.delete(&format!("{from_client}/{assignment}"), "assigner").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(&to, "reader").await.json["value"], json!([]));
    // Unknown principals and application keys get Graph's error bodies.
    let stranger = AppId::new_random();
    let message = h
        .get(&format!("/v1.0/servicePrincipals(appId='{stranger}')/appRoleAssignedTo"), "reader")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(
        message,
        format!(
            "Resource '{stranger}' does not exist or one of its queried reference-property objects are not present."
        )
    );
    let message = h
        .get(&format!("/v1.0/applications(appId='{api_app_id}')/appRoleAssignedTo"), "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(message, "Resource not found for the segment 'applications'.");
}

/// Every answer under `/v1.0` carries Graph's error body: unknown segments, paths deeper than
/// any route, and methods a path does not take.
#[tokio::test]
async fn unknown_paths_and_methods_get_graph_error_bodies() {
    let h = Harness::new().await;
    let (api, _) = api_and_client(&h).await;
    let api_id = api["id"].as_str().unwrap();
    for (path, segment) in [
        ("/v1.0/groups".to_owned(), "groups"),
        ("/v1.0/groups/x".to_owned(), "groups"),
        (format!("/v1.0/servicePrincipals/{api_id}/memberOf"), "memberOf"),
        (format!("/v1.0/servicePrincipals/{api_id}/memberOf/$ref"), "memberOf"),
        ("/v1.0/applications/x/y/z/w".to_owned(), "y"),
        ("/beta/applications".to_owned(), "applications"),
    ] {
        let message = h.get(&path, "reader").await.error(StatusCode::BAD_REQUEST, "BadRequest");
        assert_eq!(message, format!("Resource not found for the segment '{segment}'."), "{path}");
    }
    let reply = h
        .call(http::Method::PUT, &format!("/v1.0/servicePrincipals/{api_id}"), "writer", Some(json!({})))
        .await;
    let message = reply.error(StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");
    assert_eq!(message, "Specified HTTP method is not allowed for the request target.");
    let reply = h.call(http::Method::POST, "/v1.0/organization", "reader", Some(json!({}))).await;
    reply.error(StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");
}

/// `directoryObjects/getByIds` as `az role assignment` sends it (§6): typed objects in the order
/// asked, unknown ids left out, `types` filtering without regard to case.
#[tokio::test]
async fn directory_objects_by_ids() {
    let h = Harness::new().await;
    let (api, client) = api_and_client(&h).await;
    let user = h.create_user("alice").await;
    let app = h
        .get(&format!("/v1.0/applications(appId='{}')", api["appId"].as_str().unwrap()), "reader")
        .await
        .json;
    let ids = json!([client["id"], ObjectId::new_random(), user["id"], app["id"], api["id"]]);
    let all = h.post("/v1.0/directoryObjects/getByIds", "admin", json!({"ids": ids, "types": ["user", "group", "servicePrincipal", "directoryObjectPartnerReference", "APPLICATION"]})).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.json);
    assert_eq!(all.json["@odata.context"], format!("{BASE}/v1.0/$metadata#directoryObjects"));
    let kinds: Vec<(&str, &str)> = all.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v["@odata.type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            (client["id"].as_str().unwrap(), "#microsoft.graph.servicePrincipal"),
            (user["id"].as_str().unwrap(), "#microsoft.graph.user"),
            (app["id"].as_str().unwrap(), "#microsoft.graph.application"),
            (api["id"].as_str().unwrap(), "#microsoft.graph.servicePrincipal"),
        ]
    );
    assert_eq!(all.json["value"][1]["userPrincipalName"], "alice@a.example");
    let only_users =
        h.post("/v1.0/directoryObjects/getByIds", "admin", json!({"ids": ids, "types": ["User"]})).await;
    assert_eq!(only_users.json["value"].as_array().unwrap().len(), 1);
    // A reader of applications does not see users; a caller with neither permission is refused.
    let reader = h.post("/v1.0/directoryObjects/getByIds", "reader", json!({"ids": ids})).await;
    assert_eq!(reader.json["value"].as_array().unwrap().len(), 3);
    h.post("/v1.0/directoryObjects/getByIds", "nobody", json!({"ids": ids}))
        .await
        .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let bad = h.post("/v1.0/directoryObjects/getByIds", "admin", json!({"ids": ["nope"]})).await;
    assert_eq!(bad.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), "Invalid object identifier 'nope'.");
    let missing = h.post("/v1.0/directoryObjects/getByIds", "admin", json!({"types": ["user"]})).await;
    assert_eq!(
        missing.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'ids' of resource 'DirectoryObject'."
    );
    // Another tenant's objects are not found.
    let other = h.post("/v1.0/directoryObjects/getByIds", "admin-b", json!({"ids": ids})).await;
    assert_eq!(other.json["value"], json!([]));
}

/// The admin API answers unknown paths with the same error body.
#[tokio::test]
async fn unknown_admin_paths_get_graph_error_bodies() {
    let h = Harness::new().await;
    let tenant = h.tenant_a();
    for (path, segment) in [
        ("/admin/v1/nope".to_owned(), "nope"),
        (format!("/admin/v1/tenants/{tenant}/nope"), "nope"),
        (format!("/admin/v1/tenants/{tenant}/managedIdentities/x/y"), "y"),
    ] {
        let message = h.get(&path, "admin").await.error(StatusCode::BAD_REQUEST, "BadRequest");
        assert_eq!(message, format!("Resource not found for the segment '{segment}'."), "{path}");
    }
    let settings = h.get(&format!("/admin/v1/tenants/{tenant}/settings"), "admin").await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.json);
}

/// Graph matches segment names without regard to case; az deletes grants at
/// `/oAuth2PermissionGrants/{id}` (`graph-fidelity.md` §1).
#[tokio::test]
async fn segment_names_match_without_regard_to_case() {
    let h = Harness::new().await;
    let (api, client) = api_and_client(&h).await;
    let api_id = api["id"].as_str().unwrap();
    let got = h.get(&format!("/v1.0/ServicePrincipals/{api_id}"), "reader").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.json);
    assert_eq!(got.json["id"], api_id);
    let to = h
        .get(
            &format!("/v1.0/servicePrincipals(appId='{}')/AppRoleAssignedTo", api["appId"].as_str().unwrap()),
            "reader",
        )
        .await;
    assert_eq!(to.status, StatusCode::OK, "{}", to.json);
    let grant = h
        .post(
            "/v1.0/oauth2PermissionGrants",
            "admin",
            json!({"clientId": client["id"], "consentType": "AllPrincipals", "resourceId": api_id, "scope": "x"}),
        )
        .await;
    let deleted = if grant.status == StatusCode::CREATED {
        h.delete(&format!("/v1.0/oAuth2PermissionGrants/{}", grant.json["id"].as_str().unwrap()), "admin")
            .await
    } else {
        h.delete("/v1.0/oAuth2PermissionGrants/nope", "admin").await
    };
    assert_ne!(deleted.status, StatusCode::BAD_REQUEST, "{}", deleted.json);
    let message = h.get("/v1.0/Groups/x", "reader").await.error(StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(message, "Resource not found for the segment 'Groups'.");
}

/// msgraph-sdk with its default base URL asks for `/v1.0//servicePrincipals`; Graph serves it.
#[tokio::test]
async fn empty_segments_are_ignored() {
    let h = Harness::new().await;
    let (api, _) = api_and_client(&h).await;
    let api_id = api["id"].as_str().unwrap();
    let listed = h.get("/v1.0//servicePrincipals", "reader").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    assert!(listed.json["value"].as_array().unwrap().iter().any(|sp| sp["id"] == api_id));
    let got = h.get(&format!("/v1.0//servicePrincipals/{api_id}"), "reader").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.json);
}
