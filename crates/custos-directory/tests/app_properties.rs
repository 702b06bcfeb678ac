//! PATCH (and POST) of every application property GET returns (issue 15 item 4,
//! `graph-fidelity.md` §3): stored and read back, complex values merged, collections replaced,
//! `null` clearing, and Graph's validation and read-only errors.

mod common;

use common::{AssertGraphError, Harness};
use http::StatusCode;
use serde_json::{Value, json};

const SCOPE: &str = "11111111-1111-1111-1111-111111111111";

async fn app(h: &Harness) -> (String, Value) {
    let app = h
        .create_app(json!({"displayName": "props", "notes": "created with notes", "tags": ["HideApp"]}))
        .await;
    assert_eq!(app["notes"], "created with notes");
    assert_eq!(app["tags"], json!(["HideApp"]));
    (format!("/v1.0/applications/{}", app["id"].as_str().unwrap()), app)
}

async fn patch(h: &Harness, uri: &str, body: Value) -> Value {
    let reply = h.patch(uri, "admin", body.clone()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{body}: {}", reply.json);
    assert_eq!(reply.text, "");
    h.get(uri, "admin").await.json
}

#[tokio::test]
async fn every_returned_property_round_trips() {
    let h = Harness::new().await;
    let (uri, _) = app(&h).await;
    let got = patch(
        &h,
        &uri,
        json!({
            "@odata.type": "#microsoft.graph.application",
            "notes": "hello",
            "tags": ["a", "WindowsAzureActiveDirectoryIntegratedApp"],
            "isFallbackPublicClient": true,
            "groupMembershipClaims": "SecurityGroup",
            "serviceManagementReference": "ticket-42",
            "info": {"marketingUrl": "https://contoso.example/m", "supportUrl": "https://contoso.example/s"},
            "optionalClaims": {"idToken": [{"name": "upn", "source": null, "essential": false, "additionalProperties": []}]},
            "web": {
                "homePageUrl": "https://contoso.example/",
                "logoutUrl": "https://contoso.example/logout",
                "implicitGrantSettings": {"enableIdTokenIssuance": true}
            },
            "api": {
                "acceptMappedClaims": true,
                "knownClientApplications": ["22222222-2222-2222-2222-222222222222"],
                "oauth2PermissionScopes": [{
                    "id": SCOPE, "value": "Orders.Read", "type": "User", "isEnabled": true,
                    "adminConsentDisplayName": "Read", "adminConsentDescription": "Read orders"
                }],
                "preAuthorizedApplications": [{"appId": "22222222-2222-2222-2222-222222222222", "delegatedPermissionIds": [SCOPE]}]
            }
        }),
    )
    .await;
    assert_eq!(got["notes"], "hello");
    assert_eq!(got["tags"], json!(["a", "WindowsAzureActiveDirectoryIntegratedApp"]));
    assert_eq!(got["isFallbackPublicClient"], true);
    assert_eq!(got["groupMembershipClaims"], "SecurityGroup");
    assert_eq!(got["serviceManagementReference"], "ticket-42");
    assert_eq!(
        got["info"],
        json!({"logoUrl": null, "marketingUrl": "https://contoso.example/m", "privacyStatementUrl": null,
               "supportUrl": "https://contoso.example/s", "termsOfServiceUrl": null})
    );
    assert_eq!(got["optionalClaims"]["idToken"][0]["name"], "upn");
    assert_eq!(got["optionalClaims"]["accessToken"], json!([]));
    assert_eq!(got["web"]["homePageUrl"], "https://contoso.example/");
    assert_eq!(got["web"]["logoutUrl"], "https://contoso.example/logout");
    assert_eq!(
        got["web"]["implicitGrantSettings"],
        json!({"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false})
    );
    assert_eq!(got["api"]["acceptMappedClaims"], true);
    assert_eq!(got["api"]["knownClientApplications"], json!(["22222222-2222-2222-2222-222222222222"]));
    assert_eq!(got["api"]["preAuthorizedApplications"][0]["delegatedPermissionIds"], json!([SCOPE]));
    // The service principal shows the application's tags.
    let sp = h.create_sp(got["appId"].as_str().unwrap()).await;
    assert_eq!(sp["tags"], got["tags"]);

    // Complex values merge member by member (az sends only what changed) ...
    let merged = patch(
        &h,
        &uri,
        json!({"web": {"redirectUris": ["https://contoso.example/cb"]}, "info": {"supportUrl": null}}),
    )
    .await;
    assert_eq!(merged["web"]["homePageUrl"], "https://contoso.example/");
    assert_eq!(merged["web"]["redirectUris"], json!(["https://contoso.example/cb"]));
    assert_eq!(merged["web"]["implicitGrantSettings"]["enableIdTokenIssuance"], true);
    assert_eq!(merged["info"]["marketingUrl"], "https://contoso.example/m");
    assert_eq!(merged["info"]["supportUrl"], Value::Null);
    // ... collections are replaced, null clears, {} changes nothing.
    let cleared = patch(&h, &uri, json!({"notes": null, "tags": [], "optionalClaims": null})).await;
    assert_eq!(
        (cleared["notes"].clone(), cleared["tags"].clone(), cleared["optionalClaims"].clone()),
        (Value::Null, json!([]), Value::Null)
    );
    assert_eq!(cleared["groupMembershipClaims"], "SecurityGroup");
    let same = patch(&h, &uri, json!({})).await;
    assert_eq!(same, cleared);
    // Filters see the stored values.
    patch(&h, &uri, json!({"tags": ["findme"]})).await;
    let found = h.get("/v1.0/applications?$filter=tags/any(t:t%20eq%20'findme')", "admin").await;
    assert_eq!(found.json["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn invalid_and_read_only_values_get_graphs_errors() {
    let h = Harness::new().await;
    let (uri, app) = app(&h).await;
    let invalid = |p: &str| format!("Invalid value specified for property '{p}' of resource 'Application'.");
    let cases = [
        (json!({"tags": ["has space"]}), invalid("tags")),
        (json!({"tags": ["a", "a"]}), invalid("tags")),
        (json!({"tags": [""]}), invalid("tags")),
        (json!({"notes": "x".repeat(1025)}), invalid("notes")),
        (json!({"notes": 5}), invalid("notes")),
        (json!({"groupMembershipClaims": "Everything"}), invalid("groupMembershipClaims")),
        (json!({"tokenEncryptionKeyId": "33333333-3333-3333-3333-333333333333"}), invalid("tokenEncryptionKeyId")),
        (json!({"info": {"supportUrl": "not a url"}}), invalid("info")),
        (json!({"info": {"colour": "red"}}), invalid("info")),
        (json!({"web": {"homePageUrl": "ftp://x"}}), invalid("web")),
        (json!({"web": {"implicitGrantSettings": {"enableIdTokenIssuance": "yes"}}}), invalid("web")),
        (json!({"optionalClaims": {"idToken": [{"name": ""}]}}), invalid("optionalClaims")),
        (json!({"isFallbackPublicClient": "true"}), invalid("isFallbackPublicClient")),
        (
            json!({"api": {"preAuthorizedApplications": [{"appId": "22222222-2222-2222-2222-222222222222", "delegatedPermissionIds": [SCOPE]}]}}),
            "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets.".to_owned(),
        ),
        (json!({"info": {"logoUrl": "https://x.example/l.png"}}), "Property 'logoUrl' is read-only and cannot be set.".to_owned()),
    ];
    for (body, message) in cases {
        let reply = h.patch(&uri, "admin", body.clone()).await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), message, "{body}");
    }
    for property in ["id", "appId", "createdDateTime", "publisherDomain", "deletedDateTime"] {
        let reply = h.patch(&uri, "admin", json!({property: app[property].clone()})).await;
        assert_eq!(
            reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
            format!("Property '{property}' is read-only and cannot be set."),
        );
    }
    // Nothing of a refused body was written.
    let got = h.get(&uri, "admin").await.json;
    assert_eq!(
        (got["notes"].clone(), got["tags"].clone()),
        (json!("created with notes"), json!(["HideApp"]))
    );
}

/// The service principal's writable properties (`graph-fidelity.md` §3.3).
#[tokio::test]
async fn service_principal_properties_round_trip() {
    let h = Harness::new().await;
    let (_, app) = app(&h).await;
    let sp = h.create_sp(app["appId"].as_str().unwrap()).await;
    let uri = format!("/v1.0/servicePrincipals/{}", sp["id"].as_str().unwrap());
    let body = json!({
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "displayName": "Props (tenant copy)",
        "description": "what it does",
        "notes": "n",
        "homepage": "https://contoso.example/",
        "loginUrl": "https://contoso.example/login",
        "logoutUrl": "https://contoso.example/logout",
        "alternativeNames": ["urn:props"],
        "tags": ["SpTag", "HideApp"],
        "notificationEmailAddresses": ["ops@contoso.example"],
        "preferredSingleSignOnMode": "oidc"
    });
    let got = patch(&h, &uri, body.clone()).await;
    for (name, value) in body.as_object().unwrap().iter().filter(|(n, _)| !n.starts_with('@') && *n != "tags")
    {
        assert_eq!(&got[name], value, "{name}");
    }
    // The application's tags first, then the principal's own, without repeats.
    assert_eq!(got["tags"], json!(["HideApp", "SpTag"]));
    assert_eq!(got["appDisplayName"], "props");
    let cleared = patch(&h, &uri, json!({"notes": null, "alternativeNames": null})).await;
    assert_eq!((cleared["notes"].clone(), cleared["alternativeNames"].clone()), (Value::Null, json!([])));
    assert_eq!(cleared["homepage"], "https://contoso.example/");

    let invalid =
        |p: &str| format!("Invalid value specified for property '{p}' of resource 'ServicePrincipal'.");
    let cases = [
        (json!({"displayName": ""}), invalid("displayName")),
        (json!({"homepage": "contoso"}), invalid("homepage")),
        (json!({"tags": ["a b"]}), invalid("tags")),
        (json!({"notificationEmailAddresses": ["nobody"]}), invalid("notificationEmailAddresses")),
        (json!({"preferredSingleSignOnMode": "kerberos"}), invalid("preferredSingleSignOnMode")),
        (json!({"appOwnerOrganizationId": h.tenant_a()}), "Property 'appOwnerOrganizationId' is read-only and cannot be set.".to_owned()),
        (json!({"servicePrincipalType": "Legacy"}), "Property 'servicePrincipalType' is read-only and cannot be set.".to_owned()),
        (
            json!({"replyUrls": ["https://x.example"]}),
            "Property 'replyUrls' of a service principal is kept on its application in custos; set it on the application.".to_owned(),
        ),
    ];
    for (body, message) in cases {
        let reply = h.patch(&uri, "admin", body.clone()).await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), message, "{body}");
    }
}
