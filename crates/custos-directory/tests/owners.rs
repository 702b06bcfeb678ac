//! Owners of applications and service principals (`graph-fidelity.md` §6): what
//! `az ad app owner add|list|remove` sends, `$expand=owners`, and Graph's errors.

mod common;

use common::{AssertGraphError, BASE, Harness};
use http::StatusCode;
use serde_json::{Value, json};

fn ids(reply: &Value) -> Vec<String> {
    reply["value"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn owners_are_added_listed_expanded_and_removed() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "owned"})).await;
    let (app_id, client_id) = (app["id"].as_str().unwrap(), app["appId"].as_str().unwrap());
    let sp = h.create_sp(client_id).await;
    let sp_id = sp["id"].as_str().unwrap();
    let alice = h.create_user("alice").await;
    let alice_id = alice["id"].as_str().unwrap();
    let owners = format!("/v1.0/applications/{app_id}/owners");
    assert_eq!(h.get(&owners, "reader").await.json["value"], json!([]));

    // az builds the reference from its own Graph endpoint; Graph's origin works too.
    for (reference, target) in [
        (format!("{BASE}/v1.0/directoryObjects/{alice_id}"), owners.clone()),
        (format!("https://graph.microsoft.com/v1.0/directoryObjects/{sp_id}"), owners.clone()),
        (
            format!("{BASE}/v1.0/users/{alice_id}"),
            format!("/v1.0/servicePrincipals(appId='{client_id}')/owners"),
        ),
    ] {
        let added = h.post(&format!("{target}/$ref"), "writer", json!({"@odata.id": reference})).await;
        assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.json);
    }
    let listed = h.get(&owners, "reader").await;
    assert_eq!(listed.json["@odata.context"], format!("{BASE}/v1.0/$metadata#directoryObjects"));
    assert_eq!(ids(&listed.json), [alice_id, sp_id]);
    assert_eq!(listed.json["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(listed.json["value"][0]["userPrincipalName"], "alice@a.example");
    assert_eq!(listed.json["value"][1]["@odata.type"], "#microsoft.graph.servicePrincipal");
    let selected = h.get(&format!("{owners}?$select=displayName"), "reader").await;
    assert_eq!(
        selected.json["value"][0],
        json!({"@odata.type": "#microsoft.graph.user", "displayName": "alice"})
    );
    let keyed = h.get(&format!("/v1.0/applications(appId='{client_id}')/owners"), "reader").await;
    assert_eq!(ids(&keyed.json), [alice_id, sp_id]);
    assert_eq!(
        ids(&h.get(&format!("/v1.0/servicePrincipals/{sp_id}/owners"), "reader").await.json),
        [alice_id]
    );

    // $expand=owners on a single object and on lists, with a nested $select.
    let one = h.get(&format!("/v1.0/applications/{app_id}?$expand=owners"), "reader").await;
    assert_eq!(one.json["owners"].as_array().unwrap().len(), 2);
    let one = h
        .get(&format!("/v1.0/applications/{app_id}?$select=displayName&$expand=owners($select=id)"), "reader")
        .await;
    assert_eq!(one.json["owners"][0], json!({"@odata.type": "#microsoft.graph.user", "id": alice_id}));
    assert_eq!(one.json["displayName"], "owned");
    let list = h
        .get(
            "/v1.0/servicePrincipals?$filter=displayName%20eq%20'owned'&$select=displayName&$expand=owners",
            "reader",
        )
        .await;
    assert_eq!(list.json["value"][0]["owners"][0]["id"], alice_id);
    assert_eq!(list.json["value"][0]["id"], sp_id, "the id comes with expanded objects");
    let apps = h.get("/v1.0/applications?$expand=owners", "reader").await;
    let mine = apps.json["value"].as_array().unwrap().iter().find(|a| a["id"] == app_id).unwrap().clone();
    assert_eq!(mine["owners"].as_array().unwrap().len(), 2);

    // Errors: an existing owner, an unknown one, a foreign reference, a bad expansion.
    let again = h
        .post(
            &format!("{owners}/$ref"),
            "writer",
            json!({"@odata.id": format!("{BASE}/v1.0/directoryObjects/{alice_id}")}),
        )
        .await;
    assert_eq!(
        again.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "One or more added object references already exist for the following modified properties: 'owners'."
    );
    let ghost = custos_core::ObjectId::new_random();
    let unknown = h
        .post(
            &format!("{owners}/$ref"),
            "writer",
            json!({"@odata.id": format!("{BASE}/v1.0/directoryObjects/{ghost}")}),
        )
        .await;
    unknown.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let foreign = h
        .post(
            &format!("{owners}/$ref"),
            "writer",
            json!({"@odata.id": format!("https://evil.example/v1.0/directoryObjects/{alice_id}")}),
        )
        .await;
    assert_eq!(
        foreign.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property '@odata.id' of resource 'DirectoryObject'."
    );
    h.post(
        &format!("{owners}/$ref"),
        "reader",
        json!({"@odata.id": format!("{BASE}/v1.0/directoryObjects/{alice_id}")}),
    )
    .await
    .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let bad = h.get(&format!("/v1.0/applications/{app_id}?$expand=appRoles"), "reader").await;
    assert_eq!(
        bad.error(StatusCode::BAD_REQUEST, "ExpandNotSupported"),
        "Expand is not allowed for property 'appRoles' according to the entity schema."
    );
    let advanced = h.get_eventual("/v1.0/applications?$expand=owners&$count=true", "reader").await;
    advanced.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    h.get("/v1.0/users?$expand=owners", "admin")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");

    // Removal, then what is left; deleting the user takes it out of every owners list.
    let removed = h.delete(&format!("{owners}/{sp_id}/$ref"), "writer").await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let absent = h.delete(&format!("{owners}/{sp_id}/$ref"), "writer").await;
    assert_eq!(
        absent.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "One or more removed object references do not exist for the following modified properties: 'owners'."
    );
    assert_eq!(ids(&h.get(&owners, "reader").await.json), [alice_id]);
    assert_eq!(h.delete(&format!("/v1.0/users/{alice_id}"), "admin").await.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(&owners, "reader").await.json["value"], json!([]));
    // Other tenants see nothing.
    h.get(&owners, "admin-b").await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}
