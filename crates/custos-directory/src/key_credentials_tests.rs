use super::*;
use serde_json::json;
use std::sync::OnceLock;
use time::macros::datetime;

use custos_testkit::certs::TestCert;

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
const WEAK_PEM: &str = include_str!("../tests/fixtures/rsa1024.cert.pem");

fn cert() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| {
        TestCert::new("daemon", datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC))
    })
}

fn other_cert() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| {
        TestCert::new("other", datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC))
    })
}

fn message(result: Result<impl std::fmt::Debug, GraphError>) -> String {
    match result {
        Err(GraphError::BadRequest(message)) => message,
        other => panic!("expected a Request_BadRequest, got {other:?}"),
    }
}

fn build(entry: Value) -> Result<KeyCredential, GraphError> {
    KeyCredentialInput::parse(entry)?.build(NOW)
}

#[test]
fn the_manifest_shape_of_seed_004_is_accepted() {
    let key_id = Uuid::new_v4();
    let built = build(json!({
        "customKeyIdentifier": STANDARD_B64.encode(cert().sha1()),
        "keyId": key_id,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "value": cert().base64(),
    }))
    .unwrap();
    assert_eq!(built.key_id, key_id);
    assert_eq!(built.custom_key_identifier, cert().sha1());
    assert_eq!(built.certificate_der, cert().der);
    assert_eq!(built.start, datetime!(2026-01-01 0:00 UTC));
    assert_eq!(built.end, datetime!(2027-01-01 0:00 UTC));
    assert_eq!(built.display_name.as_deref(), Some("CN=daemon"));
    assert_eq!((built.key_type.as_str(), built.usage.as_str()), (KEY_TYPE_X509, KEY_USAGE_VERIFY));
}

#[test]
fn defaults_follow_graph_and_dates_may_narrow_the_validity() {
    let built = build(json!({
        "type": "AsymmetricX509Cert", "usage": "Verify", "key": cert().base64(),
        "displayName": "rollover 2026", "endDateTime": "2026-06-01T00:00:00Z",
    }))
    .unwrap();
    assert_eq!(
        built.custom_key_identifier,
        cert().sha1(),
        "customKeyIdentifier defaults to the SHA-1 thumbprint"
    );
    assert_eq!(built.display_name.as_deref(), Some("rollover 2026"));
    assert_eq!(built.end, datetime!(2026-06-01 0:00 UTC));
    assert!(!built.key_id.is_nil());

    let beyond = json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert().base64(),
                        "endDateTime": "2027-06-01T00:00:00Z"});
    assert_eq!(
        message(build(beyond)),
        "Key credential dates must lie within the certificate's validity (2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z)."
    );
    let backwards = json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert().base64(),
                           "startDateTime": "2026-05-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"});
    assert_eq!(message(build(backwards)), "Key credential endDateTime must be later than startDateTime.");
}

#[test]
fn bad_certificates_are_refused_with_the_reason() {
    let entry = |key: &str| json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": key});
    assert_eq!(
        message(build(entry("aGVsbG8gd29ybGQ="))),
        "The key credential is not a valid X.509 certificate: the DER structure cannot be parsed."
    );
    assert_eq!(
        message(build(entry("not base64!"))),
        "The key credential is not a valid X.509 certificate: the value is neither DER, PEM nor base64."
    );
    assert_eq!(
        message(build(entry(WEAK_PEM))),
        "The certificate's RSA key is 1024 bits long. The key length must be at least 2048 bits. Shorter key lengths are not accepted."
    );
    let expired = TestCert::new("old", datetime!(2025-01-01 0:00 UTC), datetime!(2026-01-01 0:00 UTC));
    assert_eq!(
        message(build(entry(&expired.base64()))),
        "The certificate expired on 2026-01-01T00:00:00Z; upload a certificate that is still valid."
    );
    assert_eq!(
        message(build(json!({"type": "AsymmetricX509Cert", "usage": "Verify"}))),
        "Property 'key' is required: the base64 DER of the certificate (the manifest calls it 'value')."
    );
}

#[test]
fn type_usage_and_properties_are_read_strictly() {
    let b64 = cert().base64();
    assert_eq!(
        message(build(json!({"type": "Symmetric", "usage": "Verify", "key": b64}))),
        "Key credential type 'Symmetric' is not supported; only 'AsymmetricX509Cert' is accepted."
    );
    assert_eq!(
        message(build(json!({"type": "AsymmetricX509Cert", "usage": "Sign", "key": b64}))),
        "Key credential usage 'Sign' is not supported; only 'Verify' is accepted."
    );
    assert_eq!(
        message(build(json!({"usage": "Verify", "key": b64}))),
        "Property 'type' of a key credential is required ('AsymmetricX509Cert')."
    );
    assert_eq!(
        message(build(
            json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": b64, "thumbprint": "x"})
        )),
        "Property 'thumbprint' does not exist as a declared property or extension property."
    );
    assert_eq!(
        message(build(
            json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": b64, "value": other_cert().base64()})
        )),
        "Specify the certificate in either 'key' or 'value', not both."
    );
    assert_eq!(
        message(build(
            json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": b64, "customKeyIdentifier": "%%"})
        )),
        "Property 'customKeyIdentifier' must be standard base64 of 1 to 32 bytes."
    );
    assert_eq!(
        KeyCredentialInput::parse(json!("a string")).unwrap_err(),
        invalid_value("keyCredentials", "Application")
    );
}

fn entry(cert: &TestCert, key_id: Uuid) -> KeyCredentialInput {
    KeyCredentialInput::parse(
        json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert.base64(), "keyId": key_id}),
    )
    .unwrap()
}

fn reference(key_id: Uuid) -> KeyCredentialInput {
    KeyCredentialInput::parse(
        json!({"type": "AsymmetricX509Cert", "usage": "Verify", "keyId": key_id, "key": null}),
    )
    .unwrap()
}

#[test]
fn a_patch_replaces_the_list_and_may_keep_entries_by_key_id() {
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let existing = replace_all(vec![entry(cert(), first)], &[], NOW).unwrap().credentials;
    let both = replace_all(vec![reference(first), entry(other_cert(), second)], &existing, NOW).unwrap();
    assert_eq!(both.credentials[0], existing[0]);
    assert_eq!(both.credentials[1].certificate_der, other_cert().der);
    // The kept entry is looked up again when written; the new one is written as built.
    assert_eq!(both.entries, vec![KeyEntry::Keep(first), KeyEntry::New(both.credentials[1].clone())]);
    let none = replace_all(vec![], &both.credentials, NOW).unwrap();
    assert_eq!((none.credentials, none.entries), (vec![], vec![]));
    assert_eq!(
        message(replace_all(vec![reference(first), reference(second)], &existing, NOW)),
        "keyCredentials[1]: Property 'key' is required: the base64 DER of the certificate (the manifest calls it 'value')."
    );
    // A kept certificate removed before the write is refused with the same words.
    assert_eq!(
        message(Err::<(), _>(both.refusal(&ChangeRefused::UnknownKeyId(first)))),
        "keyCredentials[0]: Property 'key' is required: the base64 DER of the certificate (the manifest calls it 'value')."
    );
    assert_eq!(
        message(Err::<(), _>(both.refusal(&ChangeRefused::TooMany { limit: 50 }))),
        "An application can hold at most 50 key credentials."
    );
}

#[test]
fn duplicates_and_too_many_certificates_are_refused() {
    let key_id = Uuid::new_v4();
    assert_eq!(
        message(replace_all(vec![entry(cert(), key_id), entry(other_cert(), key_id)], &[], NOW)),
        format!("Another key credential with keyId '{key_id}' already exists on the application.")
    );
    assert_eq!(
        message(replace_all(vec![entry(cert(), Uuid::new_v4()), entry(cert(), Uuid::new_v4())], &[], NOW)),
        format!(
            "The certificate with thumbprint {} is already registered on the application.",
            thumbprint_hex(&cert().der)
        )
    );
    let too_many: Vec<KeyCredentialInput> =
        (0..=MAX_KEY_CREDENTIALS).map(|_| reference(Uuid::new_v4())).collect();
    assert_eq!(
        message(replace_all(too_many, &[], NOW)),
        "An application can hold at most 50 key credentials."
    );
}

use base64::engine::general_purpose::STANDARD as STANDARD_B64;
