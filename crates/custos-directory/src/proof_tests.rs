use super::*;
use crate::key_credentials::KeyCredentialInput;
use custos_core::model::SIGN_IN_AUDIENCE_MY_ORG;
use custos_core::{AppId, ObjectId, TenantId};
use serde_json::json;
use std::sync::OnceLock;
use time::macros::datetime;

use custos_testkit::certs::TestCert;

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
const NOW_UNIX: i64 = NOW.unix_timestamp();

fn registered() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| {
        TestCert::new("registered", datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC))
    })
}

fn stranger() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| {
        TestCert::new("stranger", datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC))
    })
}

fn app_with(certs: &[&TestCert]) -> Application {
    let key_credentials = certs
        .iter()
        .map(|c| {
            KeyCredentialInput::parse(
                json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": c.base64()}),
            )
            .unwrap()
            .build(NOW)
            .unwrap()
        })
        .collect();
    Application {
        id: ObjectId::new_random(),
        tenant_id: TenantId::new_random(),
        app_id: AppId::new_random(),
        display_name: "daemon".to_owned(),
        description: None,
        identifier_uris: vec![],
        app_roles: vec![],
        requested_access_token_version: None,
        sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.to_owned(),
        password_credentials: vec![],
        key_credentials,
        federated_identity_credentials: Vec::new(),
        oauth2_permission_scopes: Vec::new(),
        required_resource_access: Vec::new(),
        redirect_uris: custos_core::consent::RedirectUris::default(),
        properties: Default::default(),
        access_token_signing_algorithm: Default::default(),
        created: NOW,
    }
}

fn claims(app: &Application) -> Value {
    json!({"aud": PROOF_AUDIENCE, "iss": app.id.to_string(), "nbf": NOW_UNIX - 30, "exp": NOW_UNIX + 570})
}

fn rejected(result: Result<(), GraphError>) -> String {
    match result {
        Err(GraphError::ProofRejected(message)) => message,
        other => panic!("expected a rejected proof, got {other:?}"),
    }
}

#[test]
fn a_proof_signed_by_a_registered_certificate_verifies() {
    let app = app_with(&[stranger(), registered()]);
    assert_eq!(verify(Some(&registered().proof(&app.id.to_string(), NOW)), &app, NOW), Ok(()));
    // Without x5t every current certificate is tried; float times and an array audience pass.
    let mut c = claims(&app);
    c["nbf"] = json!(NOW_UNIX as f64 - 0.5);
    c["exp"] = json!(NOW_UNIX as f64 + 599.0);
    c["aud"] = json!([PROOF_AUDIENCE]);
    assert_eq!(verify(Some(&registered().sign(&c, false)), &app, NOW), Ok(()));
}

#[test]
fn missing_proofs_and_apps_without_a_current_certificate_are_bad_requests() {
    let app = app_with(&[registered()]);
    assert_eq!(
        verify(None, &app, NOW),
        Err(GraphError::BadRequest(
            "Property 'proof' is required: a JWT signed by a current certificate of the application.".into()
        ))
    );
    let no_certs = app_with(&[]);
    let expected = Err(GraphError::BadRequest(
        "The application has no currently valid certificate to sign a proof of possession with; \
         register its first certificate with a PATCH of keyCredentials instead."
            .into(),
    ));
    assert_eq!(verify(Some(&registered().proof(&no_certs.id.to_string(), NOW)), &no_certs, NOW), expected);
    // The registered certificate has expired by 2027-02-01.
    let later = datetime!(2027-02-01 0:00 UTC);
    assert_eq!(verify(Some(&registered().proof(&app.id.to_string(), later)), &app, later), expected);
}

#[test]
fn proofs_from_other_keys_or_algorithms_are_rejected() {
    let app = app_with(&[registered()]);
    let not_signed_by_app = "The proof of possession is invalid: it is not signed by a currently valid certificate of the application.";
    assert_eq!(
        rejected(verify(Some(&stranger().proof(&app.id.to_string(), NOW)), &app, NOW)),
        not_signed_by_app
    );
    assert_eq!(rejected(verify(Some(&stranger().sign(&claims(&app), false)), &app, NOW)), not_signed_by_app);
    let hs256 = custos_jose::testing::sign_hs256(
        &registered().der,
        &json!({"typ": "JWT", "alg": "HS256"}),
        &claims(&app),
    );
    assert_eq!(
        rejected(verify(Some(&hs256), &app, NOW)),
        "The proof of possession is invalid: the token must be signed with RS256."
    );
    assert_eq!(
        rejected(verify(Some("not.a.jwt"), &app, NOW)),
        "The proof of possession is invalid: the token is not a signed JWT."
    );
    assert_eq!(
        rejected(verify(Some(&"a".repeat(20_000)), &app, NOW)),
        "The proof of possession is invalid: the token is too long."
    );
}

#[test]
fn claims_are_checked() {
    let app = app_with(&[registered()]);
    let check = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims(&app);
        edit(&mut c);
        rejected(verify(Some(&registered().sign(&c, true)), &app, NOW))
    };
    assert_eq!(
        check(&|c| c["aud"] = json!("00000003-0000-0000-c000-000000000000")),
        "The proof of possession is invalid: 'aud' must be '00000002-0000-0000-c000-000000000000'."
    );
    assert_eq!(
        check(&|c| c["iss"] = json!(app.app_id.to_string())),
        "The proof of possession is invalid: 'iss' must be the object id of the application."
    );
    assert_eq!(
        check(&|c| {
            c.as_object_mut().unwrap().remove("nbf");
        }),
        "The proof of possession is invalid: 'nbf' and 'exp' are required."
    );
    assert_eq!(
        check(&|c| c["exp"] = json!(NOW_UNIX - 30 + 601)),
        "The proof of possession is invalid: its lifetime ('exp' - 'nbf') must be positive and at most 10 minutes."
    );
    assert_eq!(
        check(&|c| {
            c["nbf"] = json!(NOW_UNIX - 700);
            c["exp"] = json!(NOW_UNIX - 100);
        }),
        "The proof of possession is invalid: it has expired."
    );
    assert_eq!(
        check(&|c| {
            c["nbf"] = json!(NOW_UNIX + 120);
            c["exp"] = json!(NOW_UNIX + 600);
        }),
        "The proof of possession is invalid: it is not valid yet ('nbf' is in the future)."
    );
    assert_eq!(
        check(&|c| c["nbf"] = json!("1772366370")),
        "The proof of possession is invalid: its claims are malformed ('nbf' and 'exp' must be numbers, 'iss' a string)."
    );
}
