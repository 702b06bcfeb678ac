//! Client certificates: RSA-2048 key pairs with self-signed certificates of a chosen subject and
//! validity (rcgen), the JWTs signed with their keys, and Graph's proof of possession.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use custos_jose::cert::ClientCertificate;
use custos_jose::testing::TestSigner;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The proof audience Graph requires.
pub const PROOF_AUDIENCE: &str = "00000002-0000-0000-c000-000000000000";

/// A generated client certificate with its private key.
pub struct TestCert {
    pub der: Vec<u8>,
    pub key: TestSigner,
}

impl TestCert {
    /// An RSA-2048 certificate `CN={cn}` valid from `not_before` to `not_after`.
    pub fn new(cn: &str, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Self {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).expect("RSA key generation");
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, cn);
        params.distinguished_name = name;
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Self { der: cert.der().to_vec(), key: TestSigner::from_pkcs8(&key.serialize_der()) }
    }

    /// The certificate as custos parses a registered one.
    pub fn client_certificate(&self) -> ClientCertificate {
        ClientCertificate::from_der(&self.der).expect("a usable client certificate")
    }

    /// Standard base64 of the DER, the Graph `key` / manifest `value`.
    pub fn base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// SHA-1 thumbprint bytes.
    pub fn sha1(&self) -> Vec<u8> {
        custos_jose::hash::sha1(&self.der).to_vec()
    }

    /// Signs `claims` (RS256) with this certificate's key, `x5t` in the header when asked.
    pub fn sign(&self, claims: &Value, with_x5t: bool) -> String {
        let mut header = json!({"typ": "JWT", "alg": "RS256"});
        if with_x5t {
            header["x5t"] = json!(URL_SAFE_NO_PAD.encode(self.sha1()));
        }
        self.key.sign(&header, claims)
    }

    /// A valid Graph proof of possession for the application with object id `app_object_id` at
    /// `now`.
    pub fn proof(&self, app_object_id: &str, now: OffsetDateTime) -> String {
        let nbf = now.unix_timestamp() - 30;
        self.sign(&json!({"aud": PROOF_AUDIENCE, "iss": app_object_id, "nbf": nbf, "exp": nbf + 600}), true)
    }
}
