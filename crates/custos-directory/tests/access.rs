//! Authentication, authorization, tenant isolation, OData options, the organization, the admin
//! API and provisioning.

mod common;

use common::{AssertGraphError, BASE, Harness};
use custos_core::ids::GRAPH_APP_ID;
use custos_directory::provision::{CUSTOS_ADMIN_ROLE_ID, find_bootstrap_admin};
use http::{Method, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn missing_or_invalid_tokens_are_401_with_www_authenticate() {
    let h = Harness::new().await;
    let none = h.raw(Method::GET, "/v1.0/applications", None, "").await;
    assert_eq!(none.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"), "Access token is empty.");
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(none.headers["client-request-id"], "test-crid");
    let bad = h.get("/v1.0/applications", "forged").await;
    let message = bad.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    assert!(message.starts_with("Access token validation failure."), "{message}");
    let admin = h.raw(Method::GET, "/admin/v1/tenants", None, "").await;
    admin.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn every_route_family_needs_its_role() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "x"})).await;
    let (id, app_id) = (app["id"].as_str().unwrap(), app["appId"].as_str().unwrap());
    let sp = h.create_sp(app_id).await;
    let sp_id = sp["id"].as_str().unwrap();
    let denied = [
        (Method::GET, "/v1.0/applications".to_owned(), "nobody"),
        (Method::GET, format!("/v1.0/applications/{id}"), "nobody"),
        (Method::GET, format!("/v1.0/applications(appId='{app_id}')"), "assigner"),
        (Method::POST, "/v1.0/applications".to_owned(), "reader"),
        (Method::PATCH, format!("/v1.0/applications/{id}"), "reader"),
        (Method::DELETE, format!("/v1.0/applications/{id}"), "reader"),
        (Method::POST, format!("/v1.0/applications/{id}/addPassword"), "reader"),
        (Method::POST, format!("/v1.0/applications/{id}/removePassword"), "reader"),
        (Method::GET, "/v1.0/servicePrincipals".to_owned(), "nobody"),
        (Method::POST, "/v1.0/servicePrincipals".to_owned(), "reader"),
        (Method::PATCH, format!("/v1.0/servicePrincipals/{sp_id}"), "reader"),
        (Method::DELETE, format!("/v1.0/servicePrincipals/{sp_id}"), "assigner"),
        (Method::GET, format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo"), "nobody"),
        (Method::POST, format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo"), "reader"),
        (Method::POST, format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments"), "writer"),
        (Method::DELETE, format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments/x"), "writer"),
        (Method::GET, "/v1.0/organization".to_owned(), "nobody"),
        (Method::GET, "/admin/v1/tenants".to_owned(), "writer"),
        (Method::POST, "/admin/v1/tenants".to_owned(), "writer"),
        (Method::GET, format!("/admin/v1/tenants/{}", h.tenant_a()), "assigner"),
    ];
    for (method, uri, token) in denied {
        let reply = h.call(method.clone(), &uri, token, Some(json!({}))).await;
        assert_eq!(
            reply.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
            "Insufficient privileges to complete the operation.",
            "{method} {uri} as {token}"
        );
    }
}

#[tokio::test]
async fn other_tenants_objects_are_not_found() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "a-only"})).await;
    let (id, app_id) = (app["id"].as_str().unwrap(), app["appId"].as_str().unwrap());
    let sp_id = h.create_sp(app_id).await["id"].as_str().unwrap().to_owned();
    for (method, uri) in [
        (Method::GET, format!("/v1.0/applications/{id}")),
        (Method::GET, format!("/v1.0/applications(appId='{app_id}')")),
        (Method::PATCH, format!("/v1.0/applications/{id}")),
        (Method::DELETE, format!("/v1.0/applications/{id}")),
        (Method::POST, format!("/v1.0/applications/{id}/addPassword")),
        (Method::GET, format!("/v1.0/servicePrincipals/{sp_id}")),
        (Method::DELETE, format!("/v1.0/servicePrincipals/{sp_id}")),
        (Method::GET, format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo")),
    ] {
        let reply = h.call(method.clone(), &uri, "admin-b", Some(json!({"displayName": "stolen"}))).await;
        reply.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }
    let listed = h.get("/v1.0/applications", "admin-b").await;
    assert!(listed.json["value"].as_array().unwrap().iter().all(|a| a["displayName"] != "a-only"));
    let still_there = h.get(&format!("/v1.0/applications/{id}"), "admin").await;
    assert_eq!(still_there.json["displayName"], "a-only");
}

#[tokio::test]
async fn filter_select_top_and_paging() {
    let h = Harness::new().await;
    for name in ["web one", "web two", "web three", "batch"] {
        h.create_app(json!({"displayName": name})).await;
    }
    let filtered =
        h.get("/v1.0/applications?$filter=startswith(displayName,'WEB')&$select=displayName", "reader").await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.json);
    assert_eq!(filtered.json["@odata.context"], format!("{BASE}/v1.0/$metadata#applications(displayName)"));
    assert_eq!(
        filtered.json["value"],
        json!([{"displayName": "web one"}, {"displayName": "web two"}, {"displayName": "web three"}])
    );
    let eq = h.get("/v1.0/applications?$filter=displayName%20eq%20'batch'", "reader").await;
    assert_eq!(eq.json["value"].as_array().unwrap().len(), 1);

    let first = h
        .get(
            "/v1.0/applications?$filter=startswith(displayName,'web')&$top=2&$select=id,displayName",
            "reader",
        )
        .await;
    assert_eq!(first.json["value"].as_array().unwrap().len(), 2);
    let next = first.json["@odata.nextLink"].as_str().unwrap();
    let path = next.strip_prefix(BASE).unwrap();
    let second = h.get(path, "reader").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.json);
    assert_eq!(
        second.json["value"],
        json!([{"id": second.json["value"][0]["id"], "displayName": "web three"}])
    );
    assert!(second.json.get("@odata.nextLink").is_none());

    let token_at = path.find("$skiptoken=").unwrap() + "$skiptoken=".len();
    let mut tampered = path.to_owned();
    let flipped = if &path[token_at..=token_at] == "A" { "B" } else { "A" };
    tampered.replace_range(token_at..=token_at, flipped);
    let reply = h.get(&tampered, "reader").await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "The specified page token value is invalid."
    );
    let other_collection = path.replace("/v1.0/applications", "/v1.0/servicePrincipals");
    h.get(&other_collection, "reader").await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    h.get("/v1.0/applications?$top=0", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    h.get("/v1.0/applications?$select=nope", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    h.get("/v1.0/applications?$filter=displayName%20eq", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "BadRequest");
    h.get("/v1.0/applications?$filter=description%20eq%20'x'", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    h.get("/v1.0/applications?$orderby=displayName", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    let selected =
        h.get(&format!("/v1.0/servicePrincipals(appId='{GRAPH_APP_ID}')?$select=appId"), "reader").await;
    assert_eq!(selected.json["appId"], GRAPH_APP_ID.to_string());
    assert_eq!(selected.json.as_object().unwrap().len(), 2, "{}", selected.json);
}

#[tokio::test]
async fn organization_is_the_callers_tenant() {
    let h = Harness::new().await;
    let org = h.get("/v1.0/organization", "reader").await;
    assert_eq!(org.json["@odata.context"], format!("{BASE}/v1.0/$metadata#organization"));
    let t = &org.json["value"][0];
    assert_eq!(t["id"], h.tenant_a().to_string());
    assert_eq!(t["displayName"], "Tenant A");
    assert_eq!(t["tenantType"], "AAD");
    assert_eq!(t["verifiedDomains"][0]["name"], "a.example");
    assert_eq!(t["verifiedDomains"][0]["isDefault"], true);
    assert_eq!(t["verifiedDomains"][0]["type"], "Managed");
}

#[tokio::test]
async fn admin_tenants_create_list_show() {
    let h = Harness::new().await;
    let created = h
        .post("/admin/v1/tenants", "admin", json!({"domain": "Contoso.Example", "displayName": "Contoso"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["domain"], "contoso.example");
    assert_eq!(created.json["displayName"], "Contoso");
    assert_eq!(created.json["adminClientSecret"].as_str().unwrap().len(), 44);
    let id = created.json["id"].as_str().unwrap();
    let admin = find_bootstrap_admin(h.store.as_ref(), id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(created.json["adminClientId"], admin.app_id.to_string());

    let list = h.get("/admin/v1/tenants", "admin").await;
    let domains: Vec<&str> =
        list.json["value"].as_array().unwrap().iter().map(|t| t["domain"].as_str().unwrap()).collect();
    assert_eq!(domains, ["a.example", "b.example", "contoso.example"]);
    let by_domain = h.get("/admin/v1/tenants/contoso.example", "admin").await;
    assert_eq!(by_domain.json["id"], id);
    let by_id = h.get(&format!("/admin/v1/tenants/{id}"), "admin").await;
    assert_eq!(by_id.json["domain"], "contoso.example");
    h.get("/admin/v1/tenants/nowhere.example", "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    let duplicate = h.post("/admin/v1/tenants", "admin", json!({"domain": "contoso.example"})).await;
    assert_eq!(
        duplicate.error(StatusCode::CONFLICT, "Request_MultipleObjectsWithSameKeyValue"),
        "A tenant with the domain 'contoso.example' already exists."
    );
    for bad in ["common", "bad_domain.example", "-x.example"] {
        let reply = h.post("/admin/v1/tenants", "admin", json!({"domain": bad})).await;
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
}

/// An admin of another tenant never administers the installation, even holding a
/// `Custos.Admin` role value (its tenant's directory API does not define that role, and the
/// admin API also requires the home tenant).
#[tokio::test]
async fn other_tenants_admins_cannot_reach_the_admin_api() {
    let h = Harness::new().await;
    for (method, uri) in [
        (Method::GET, "/admin/v1/tenants".to_owned()),
        (Method::GET, format!("/admin/v1/tenants/{}", h.tenant_a())),
        (Method::POST, "/admin/v1/tenants".to_owned()),
    ] {
        let body = if method == Method::POST { r#"{"domain":"evil.example"}"# } else { "" };
        let reply = h.raw(method.clone(), &uri, Some("admin-b"), body).await;
        reply.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    let b = h.b.tenant.id;
    let directory = h.store.application_by_app_id(b, GRAPH_APP_ID).await.unwrap().unwrap();
    assert!(directory.app_roles.iter().all(|r| r.value.as_deref() != Some("Custos.Admin")));
    assert_eq!(h.store.tenant_by_domain("evil.example").await.unwrap(), None);
}

#[tokio::test]
async fn provisioning_creates_the_directory_resource_and_an_admin_with_every_role() {
    let h = Harness::new().await;
    let store = h.store.as_ref();
    let t = h.tenant_a();
    let directory = store.application_by_app_id(t, GRAPH_APP_ID).await.unwrap().unwrap();
    assert_eq!(directory.identifier_uris, ["https://graph.microsoft.com"]);
    assert_eq!(directory.display_name, "Microsoft Graph");
    assert_eq!(directory.requested_access_token_version, None);
    let values: Vec<&str> = directory.app_roles.iter().map(|r| r.value.as_deref().unwrap()).collect();
    assert_eq!(
        values,
        [
            "Application.ReadWrite.All",
            "Application.Read.All",
            "AppRoleAssignment.ReadWrite.All",
            "Directory.Read.All",
            "AuditLog.Read.All",
            "User.Read.All",
            "User.ReadWrite.All",
            "RoleManagement.ReadWrite.Directory",
            "DelegatedPermissionGrant.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Custos.Admin"
        ]
    );
    assert_eq!(directory.app_roles[0].id.to_string(), "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9");
    assert_eq!(directory.app_roles[3].id.to_string(), "7ab1d382-f21e-4acd-a863-ba3e13f7da61");

    let directory_sp = store.service_principal_by_app_id(t, GRAPH_APP_ID).await.unwrap().unwrap();
    assert_eq!(directory_sp.id, h.a.directory_service_principal_id);
    let admin = store.application_by_app_id(t, h.a.admin_app_id).await.unwrap().unwrap();
    assert_eq!(admin.display_name, "custos admin");
    assert_eq!(admin.password_credentials.len(), 1);
    let secret = &admin.password_credentials[0];
    assert!(h.hasher.verify(h.a.admin_secret.expose(), secret.secret_hash.expose()));
    assert_eq!(secret.end - secret.start, time::Duration::days(730));

    let mut granted: Vec<_> = store
        .assignments(t)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.principal_id == h.a.admin_service_principal_id && a.resource_id == directory_sp.id)
        .map(|a| a.app_role_id)
        .collect();
    granted.sort();
    let mut expected: Vec<_> = directory.app_roles.iter().map(|r| r.id).collect();
    expected.sort();
    assert_eq!(granted, expected);
    assert!(granted.contains(&CUSTOS_ADMIN_ROLE_ID));

    let found = find_bootstrap_admin(store, t).await.unwrap().unwrap();
    assert_eq!(found.app_id, h.a.admin_app_id);
    assert_eq!(found.service_principal_id, h.a.admin_service_principal_id);
    assert!(!format!("{:?}", h.a).contains(h.a.admin_secret.expose().as_str()));

    // A further tenant's admin manages that tenant only: no Custos.Admin.
    let b_granted: Vec<_> = store
        .assignments(h.b.tenant.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.principal_id == h.b.admin_service_principal_id)
        .map(|a| a.app_role_id)
        .collect();
    assert_eq!(b_granted.len(), 10);
    assert!(!b_granted.contains(&CUSTOS_ADMIN_ROLE_ID));
    let found_b = find_bootstrap_admin(store, h.b.tenant.id).await.unwrap().unwrap();
    assert_eq!(found_b.app_id, h.b.admin_app_id);
}
