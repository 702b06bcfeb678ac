//! Test material for client-assertion tests: RSA and P-256 client keys with rcgen certificates
//! (generated once per test binary), the validation context of one tenant, and a compact-JWS
//! assembler that signs `header.payload` exactly as encoded (padded or not).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaKeyPair,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use custos_jose::assertion::{
    AssertionContext, AssertionError, DEFAULT_CLOCK_SKEW_SECS, DEFAULT_MAX_LIFETIME_SECS, ValidatedAssertion,
    validate_client_assertion,
};
use custos_jose::cert::ClientCertificate;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The server's current time in every test.
pub(crate) const NOW: i64 = 1_800_000_000;
/// The authenticating application.
pub(crate) const CLIENT_ID: &str = "a6099727-6b7b-482c-b509-1df309acc563";
/// Another application of the same tenant.
pub(crate) const OTHER_CLIENT_ID: &str = "0b8c4d55-1c6e-4bd1-9d3e-6a4f1f0e2c11";
/// The tenant.
pub(crate) const TENANT: &str = "41463f53-8812-40f4-890f-865bf6e35190";
/// Another tenant.
pub(crate) const OTHER_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The public URL custos is reached at.
pub(crate) const HOST: &str = "https://login.custos.test";
/// The v2 token endpoint of [`TENANT`].
pub(crate) const V2_TOKEN: &str =
    "https://login.custos.test/41463f53-8812-40f4-890f-865bf6e35190/oauth2/v2.0/token";
/// The v1 token endpoint of [`TENANT`].
pub(crate) const V1_TOKEN: &str =
    "https://login.custos.test/41463f53-8812-40f4-890f-865bf6e35190/oauth2/token";
/// A fixed GUID `jti`.
pub(crate) const JTI: &str = "0ce254c4-81b1-4a2e-8436-9a8c3b49dfb9";

/// A client key with its registered certificate.
pub(crate) struct RsaClient {
    pub(crate) key: RsaKeyPair,
    pub(crate) cert: ClientCertificate,
    pub(crate) cert_pem: String,
}

/// A P-256 client key with its certificate.
pub(crate) struct EcClient {
    pub(crate) key: EcdsaKeyPair,
    pub(crate) pkcs8: Vec<u8>,
    pub(crate) cert: ClientCertificate,
}

fn certificate_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    params.not_before = OffsetDateTime::from_unix_timestamp(NOW - 86_400).unwrap();
    params.not_after = OffsetDateTime::from_unix_timestamp(NOW + 365 * 86_400).unwrap();
    params
}

fn rsa_client(common_name: &str) -> RsaClient {
    let key_pair = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let certificate = certificate_params(common_name).self_signed(&key_pair).unwrap();
    RsaClient {
        key: RsaKeyPair::from_pkcs8(&key_pair.serialize_der()).unwrap(),
        cert: ClientCertificate::from_der(certificate.der()).unwrap(),
        cert_pem: certificate.pem(),
    }
}

/// The application's registered RSA key.
pub(crate) fn client() -> &'static RsaClient {
    static CLIENT: OnceLock<RsaClient> = OnceLock::new();
    CLIENT.get_or_init(|| rsa_client("contoso daemon"))
}

/// A key that is registered nowhere in [`context`] (another client's or an attacker's).
pub(crate) fn stranger() -> &'static RsaClient {
    static STRANGER: OnceLock<RsaClient> = OnceLock::new();
    STRANGER.get_or_init(|| rsa_client("someone else"))
}

/// The application's registered P-256 key.
pub(crate) fn ec_client() -> &'static EcClient {
    static CLIENT: OnceLock<EcClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let key_pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let certificate = certificate_params("contoso ec daemon").self_signed(&key_pair).unwrap();
        let pkcs8 = key_pair.serialize_der();
        EcClient {
            key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).unwrap(),
            pkcs8,
            cert: ClientCertificate::from_der(certificate.der()).unwrap(),
        }
    })
}

/// Certificates registered for [`CLIENT_ID`]: its RSA and its P-256 certificate.
pub(crate) fn registered() -> &'static [ClientCertificate] {
    static REGISTERED: OnceLock<Vec<ClientCertificate>> = OnceLock::new();
    REGISTERED.get_or_init(|| vec![client().cert.clone(), ec_client().cert.clone()])
}

/// This tenant's token endpoints and issuers.
pub(crate) fn audiences() -> &'static [String] {
    static AUDIENCES: OnceLock<Vec<String>> = OnceLock::new();
    AUDIENCES.get_or_init(|| {
        vec![
            V2_TOKEN.to_owned(),
            V1_TOKEN.to_owned(),
            format!("{HOST}/{TENANT}/v2.0"),
            format!("{HOST}/{TENANT}/"),
        ]
    })
}

/// The context of [`CLIENT_ID`] at [`NOW`] with the default limits.
pub(crate) fn context() -> AssertionContext<'static> {
    AssertionContext {
        client_id: CLIENT_ID,
        registered: registered(),
        accepted_audiences: audiences(),
        now: NOW,
        max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
        clock_skew_secs: DEFAULT_CLOCK_SKEW_SECS,
    }
}

/// Validates `raw` in [`context`].
pub(crate) fn validate(raw: &str) -> Result<ValidatedAssertion, AssertionError> {
    validate_client_assertion(raw, &context())
}

/// Base64url segment encoding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Padding {
    /// RFC 7515 (PyJWT, MSAL Node, jsonwebtoken).
    None,
    /// `base64.urlsafe_b64encode` (azure-identity `AadClient`).
    Padded,
}

fn encode(bytes: &[u8], padding: Padding) -> String {
    match padding {
        Padding::None => URL_SAFE_NO_PAD.encode(bytes),
        Padding::Padded => URL_SAFE.encode(bytes),
    }
}

/// `header.payload.signature`, where `sign` signs the encoded `header.payload`.
pub(crate) fn assemble(
    header: impl AsRef<[u8]>,
    payload: impl AsRef<[u8]>,
    padding: Padding,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!("{}.{}", encode(header.as_ref(), padding), encode(payload.as_ref(), padding));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", encode(&signature, padding))
}

/// An RS256 signer.
pub(crate) fn rs256(key: &RsaKeyPair) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    move |input| {
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input, &mut signature).unwrap();
        signature
    }
}

/// A PS256 signer (salt = 32 bytes).
pub(crate) fn ps256(key: &RsaKeyPair) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    move |input| {
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PSS_SHA256, &SystemRandom::new(), input, &mut signature).unwrap();
        signature
    }
}

/// An ES256 signer (raw R‖S).
pub(crate) fn es256(key: &EcdsaKeyPair) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    move |input| key.sign(&SystemRandom::new(), input).unwrap().as_ref().to_vec()
}

/// The claims every library sends, with `aud` given as JSON text and time claims as a JSON
/// fragment such as `"nbf":1,"exp":2`.
pub(crate) fn claims_with_aud_json(aud_json: &str, times: &str) -> String {
    format!(r#"{{"aud":{aud_json},"iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","jti":"{JTI}",{times}}}"#)
}

/// The claims every library sends, with the given audience string and time claims.
pub(crate) fn claims(aud: &str, times: &str) -> String {
    claims_with_aud_json(&format!("\"{aud}\""), times)
}

/// An RS256 assertion signed with the registered key, with `header` and `payload` as given.
pub(crate) fn rs256_assertion(header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
    assemble(header, payload, Padding::None, rs256(&client().key))
}

/// A standard RS256 header naming the registered key by `x5t`.
pub(crate) fn x5t_header() -> String {
    format!(r#"{{"alg":"RS256","typ":"JWT","x5t":"{}"}}"#, client().cert.x5t())
}

/// Claims valid at [`NOW`] for 10 minutes.
pub(crate) fn good_claims() -> String {
    claims(V2_TOKEN, &format!(r#""nbf":{NOW},"iat":{NOW},"exp":{}"#, NOW + 600))
}

/// A certificate's PEM body as MSAL Python may put it in `x5c`: base64 with newlines.
pub(crate) fn pem_body_with_newlines(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n")
}

/// Upper-case hex, as thumbprints appear in error messages.
pub(crate) fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
