//! Certificate credentials through the Graph API: PATCH of `keyCredentials` in the manifest
//! shape of seed 004, `$select=keyCredentials`, and the `addKey`/`removeKey` actions with their
//! proof-of-possession JWT.

mod common;

use common::{AssertGraphError, BASE, Harness};
use custos_core::ObjectId;
use custos_testkit::certs::TestCert;
use http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
const WEAK_PEM: &str = include_str!("fixtures/rsa1024.cert.pem");

fn cert(cn: &str) -> TestCert {
    TestCert::new(cn, datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC))
}

fn manifest_entry(cert: &TestCert, key_id: &str) -> Value {
    use base64::Engine as _;
    json!({
        "customKeyIdentifier": base64::engine::general_purpose::STANDARD.encode(cert.sha1()),
        "keyId": key_id,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "value": cert.base64(),
    })
}

async fn app(h: &Harness) -> (String, String) {
    let app = h.create_app(json!({"displayName": "daemon"})).await;
    (app["id"].as_str().unwrap().to_owned(), app["appId"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_manifest_upload_registers_certificates_and_get_shows_them() {
    let h = Harness::new().await;
    let (id, app_id) = app(&h).await;
    let (first, second) = (cert("daemon 1"), cert("daemon 2"));
    const K1: &str = "11111111-0000-0000-0000-000000000001";
    const K2: &str = "11111111-0000-0000-0000-000000000002";
    let reply = h
        .patch(
            &format!("/v1.0/applications/{id}"),
            "writer",
            json!({"keyCredentials": [manifest_entry(&first, K1), manifest_entry(&second, K2)]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);

    let got = h.get(&format!("/v1.0/applications/{id}"), "reader").await;
    let keys = &got.json["keyCredentials"];
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert_eq!(
        keys[0],
        json!({
            "customKeyIdentifier": manifest_entry(&first, K1)["customKeyIdentifier"],
            "displayName": "CN=daemon 1",
            "endDateTime": "2027-01-01T00:00:00Z",
            "key": null,
            "keyId": K1,
            "startDateTime": "2026-01-01T00:00:00Z",
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        })
    );
    let selected =
        h.get(&format!("/v1.0/applications(appId='{app_id}')?$select=keyCredentials"), "reader").await;
    assert_eq!(selected.json["keyCredentials"][1]["key"], second.base64());
    assert_eq!(
        selected.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#applications(keyCredentials)/$entity")
    );
    let listed = h.get("/v1.0/applications?$select=id,keyCredentials", "reader").await;
    let daemon = listed.json["value"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert_eq!(daemon["keyCredentials"][0]["key"], first.base64());

    // The selected body can be sent back as is; a shorter list removes the others.
    let back = json!({"keyCredentials": [selected.json["keyCredentials"][1].clone()]});
    assert_eq!(
        h.patch(&format!("/v1.0/applications/{id}"), "writer", back).await.status,
        StatusCode::NO_CONTENT
    );
    let stored = h.store.application(h.tenant_a(), id.parse::<ObjectId>().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.key_credentials.len(), 1);
    assert_eq!(stored.key_credentials[0].certificate_der, second.der);
    assert_eq!(stored.key_credentials[0].custom_key_identifier, second.sha1());
}

#[tokio::test]
async fn unusable_certificates_are_refused_with_graph_errors() {
    let h = Harness::new().await;
    let (id, _) = app(&h).await;
    let path = format!("/v1.0/applications/{id}");
    let patch = |entry: Value| h.patch(&path, "writer", json!({"keyCredentials": [entry]}));
    let weak = patch(json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": WEAK_PEM})).await;
    assert_eq!(
        weak.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "keyCredentials[0]: The certificate's RSA key is 1024 bits long. The key length must be at least 2048 bits. Shorter key lengths are not accepted."
    );
    let garbage =
        patch(json!({"type": "AsymmetricX509Cert", "usage": "Verify", "value": "MIIBadCert"})).await;
    assert_eq!(
        garbage.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "keyCredentials[0]: The key credential is not a valid X.509 certificate: the value is neither DER, PEM nor base64."
    );
    let c = cert("dup");
    let twice = h
        .patch(
            &format!("/v1.0/applications/{id}"),
            "writer",
            json!({"keyCredentials": [manifest_entry(&c, "11111111-0000-0000-0000-000000000001"),
                                       manifest_entry(&cert("other"), "11111111-0000-0000-0000-000000000001")]}),
        )
        .await;
    assert_eq!(
        twice.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Another key credential with keyId '11111111-0000-0000-0000-000000000001' already exists on the application."
    );
    let stored = h.store.application(h.tenant_a(), id.parse::<ObjectId>().unwrap()).await.unwrap().unwrap();
    assert!(stored.key_credentials.is_empty(), "nothing is stored from a refused request");

    // Creating an application with a certificate is allowed too.
    let created = h
        .create_app(json!({"displayName": "born with a cert", "keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": c.base64()}]}))
        .await;
    assert_eq!(created["keyCredentials"][0]["displayName"], "CN=dup");
    assert_eq!(created["keyCredentials"][0]["key"], Value::Null);
}

#[tokio::test]
async fn add_key_and_remove_key_need_a_proof_from_a_current_certificate() {
    let h = Harness::new().await;
    let (id, app_id) = app(&h).await;
    let (first, second) = (cert("first"), cert("second"));
    let new_key = |c: &TestCert| json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": c.base64()});

    // Without any certificate the application must use PATCH.
    let no_cert = h
        .post(
            &format!("/v1.0/applications/{id}/addKey"),
            "writer",
            json!({"keyCredential": new_key(&first), "passwordCredential": null, "proof": first.proof(&id, NOW)}),
        )
        .await;
    assert_eq!(
        no_cert.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "The application has no currently valid certificate to sign a proof of possession with; \
         register its first certificate with a PATCH of keyCredentials instead."
    );
    let first_patch = h
        .patch(&format!("/v1.0/applications/{id}"), "writer", json!({"keyCredentials": [new_key(&first)]}))
        .await;
    assert_eq!(first_patch.status, StatusCode::NO_CONTENT);

    // A proof signed by the certificate being added (not yet registered) is refused.
    let self_signed = h
        .post(
            &format!("/v1.0/applications/{id}/addKey"),
            "writer",
            json!({"keyCredential": new_key(&second), "passwordCredential": null, "proof": second.proof(&id, NOW)}),
        )
        .await;
    assert_eq!(
        self_signed.error(StatusCode::BAD_REQUEST, "Authorization_RequestDenied"),
        "The proof of possession is invalid: it is not signed by a currently valid certificate of the application."
    );
    let missing = h
        .post(
            &format!("/v1.0/applications/{id}/addKey"),
            "writer",
            json!({"keyCredential": new_key(&second)}),
        )
        .await;
    assert_eq!(
        missing.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Property 'proof' is required: a JWT signed by a current certificate of the application."
    );

    let added = h
        .post(
            &format!("/v1.0/applications(appId='{app_id}')/addKey"),
            "writer",
            json!({"keyCredential": new_key(&second), "passwordCredential": null, "proof": first.proof(&id, NOW)}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);
    assert_eq!(added.json["@odata.context"], format!("{BASE}/v1.0/$metadata#microsoft.graph.keyCredential"));
    assert_eq!(added.json["displayName"], "CN=second");
    assert_eq!(added.json["type"], "AsymmetricX509Cert");
    assert_eq!(added.json["key"], Value::Null);
    let second_key_id = added.json["keyId"].as_str().unwrap().to_owned();

    let again = h
        .post(
            &format!("/v1.0/applications/{id}/addKey"),
            "writer",
            json!({"keyCredential": new_key(&second), "passwordCredential": null, "proof": first.proof(&id, NOW)}),
        )
        .await;
    assert!(
        again
            .error(StatusCode::BAD_REQUEST, "Request_BadRequest")
            .starts_with("The certificate with thumbprint ")
    );
    let reader = h
        .post(
            &format!("/v1.0/applications/{id}/addKey"),
            "reader",
            json!({"keyCredential": new_key(&second), "proof": first.proof(&id, NOW)}),
        )
        .await;
    reader.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    // removeKey: the new certificate signs the removal of the old one.
    let old_key_id =
        h.get(&format!("/v1.0/applications/{id}"), "reader").await.json["keyCredentials"][0]["keyId"]
            .as_str()
            .unwrap()
            .to_owned();
    let unproven = h
        .post(
            &format!("/v1.0/applications/{id}/removeKey"),
            "writer",
            json!({"keyId": old_key_id, "proof": "x.y.z"}),
        )
        .await;
    assert_eq!(
        unproven.error(StatusCode::BAD_REQUEST, "Authorization_RequestDenied"),
        "The proof of possession is invalid: the token is not a signed JWT."
    );
    let removed = h
        .post(
            &format!("/v1.0/applications/{id}/removeKey"),
            "writer",
            json!({"keyId": old_key_id, "proof": second.proof(&id, NOW)}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.json);
    let keys = h.get(&format!("/v1.0/applications/{id}"), "reader").await.json["keyCredentials"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["keyId"], second_key_id);
    let unknown = h
        .post(
            &format!("/v1.0/applications/{id}/removeKey"),
            "writer",
            json!({"keyId": old_key_id, "proof": second.proof(&id, NOW)}),
        )
        .await;
    assert_eq!(
        unknown.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        format!("No key credential with keyId '{old_key_id}' exists on the application.")
    );
}
