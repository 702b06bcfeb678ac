//! Client certificates for the assertion tests: `custos_testkit::certs` certificates (generated
//! once per test binary) as the authority parses them, their registration on an application of
//! the fixture, and a compact-JWS builder that signs exactly what it encodes (padded or not).

#![allow(dead_code, unreachable_pub)]

use crate::common::{App, Fixture, NOW, assign, at, register};
use custos_core::model::{KEY_TYPE_X509, KEY_USAGE_VERIFY, KeyCredential};
use custos_jose::cert::ClientCertificate;
pub use custos_jose::testing::Alg;
use custos_jose::testing::TestSigner;
use custos_store::Store;
use custos_testkit::certs::TestCert;
use std::sync::OnceLock;
use uuid::Uuid;

pub struct ClientKey {
    pub key: TestSigner,
    pub cert: ClientCertificate,
}

fn generate() -> ClientKey {
    let cert = TestCert::new("daemon", at(NOW - 86_400), at(NOW + 365 * 86_400));
    ClientKey { cert: cert.client_certificate(), key: cert.key }
}

/// The key registered on the certificate client.
pub fn registered_key() -> &'static ClientKey {
    static KEY: OnceLock<ClientKey> = OnceLock::new();
    KEY.get_or_init(generate)
}

/// A key registered nowhere.
pub fn stranger_key() -> &'static ClientKey {
    static KEY: OnceLock<ClientKey> = OnceLock::new();
    KEY.get_or_init(generate)
}

/// A key credential for `key`, valid from `start` to `end` (Unix seconds).
pub fn key_credential(key: &ClientKey, start: i64, end: i64) -> KeyCredential {
    KeyCredential {
        key_id: Uuid::new_v4(),
        display_name: Some("CN=daemon".into()),
        custom_key_identifier: key.cert.thumbprint_sha1().to_vec(),
        usage: KEY_USAGE_VERIFY.into(),
        key_type: KEY_TYPE_X509.into(),
        start: at(start),
        end: at(end),
        certificate_der: key.cert.der().to_vec(),
    }
}

/// Registers a client with `credentials`, assigned every role of both resources.
pub async fn certificate_client(fx: &Fixture, credentials: Vec<KeyCredential>) -> App {
    let store: &dyn Store = fx.directory.as_ref();
    let client =
        register(store, fx.tenant, "Cert daemon", None, |a, _| a.key_credentials = credentials).await;
    for resource in [&fx.resource_v1, &fx.resource_v2] {
        for role in &resource.app.app_roles {
            assign(store, fx.tenant, &client, resource, role).await;
        }
    }
    client
}

/// Builds `header.payload.signature` over the JSON texts as given.
pub fn sign(key: &ClientKey, alg: Alg, header: &str, claims: &str, padded: bool) -> String {
    key.key.sign_text(alg, header, claims, padded)
}

/// `{"alg":"RS256","typ":"JWT","x5t":…}` for `key`.
pub fn rs256_header(key: &ClientKey) -> String {
    format!(r#"{{"alg":"RS256","typ":"JWT","x5t":"{}"}}"#, key.cert.x5t())
}

/// Claims as MSAL sends them: `iat`, `nbf` = now, `exp` = now + 600.
pub fn claims(client: &App, aud: &str, jti: &str) -> String {
    claims_at(client, aud, jti, NOW, NOW + 600)
}

pub fn claims_at(client: &App, aud: &str, jti: &str, iat: i64, exp: i64) -> String {
    let id = client.app_id();
    format!(
        r#"{{"aud":"{aud}","iss":"{id}","sub":"{id}","jti":"{jti}","iat":{iat},"nbf":{iat},"exp":{exp}}}"#
    )
}

/// An RS256 + x5t assertion for `client` with the registered key.
pub fn assertion(client: &App, aud: &str, jti: &str) -> String {
    let key = registered_key();
    sign(key, Alg::Rs256, &rs256_header(key), &claims(client, aud, jti), false)
}
