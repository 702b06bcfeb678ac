//! The `client_assertion` target: `private_key_jwt` client assertions
//! (`custos_jose::assertion::validate_client_assertion`, with the compact JWS splitter and the
//! header, key and claim checks behind it).

use crate::split_line;
use custos_jose::SigningKey;
use custos_jose::assertion::{
    AssertionContext, DEFAULT_CLOCK_SKEW_SECS, DEFAULT_MAX_LIFETIME_SECS, validate_client_assertion,
};
use custos_jose::cert::{ClientCertificate, KeyKind};
use custos_jose::compact::{self, Jws, Padding};
use custos_jose::hash::sha256;
use custos_jose::testing::{Alg, TestSigner};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The client every assertion is checked for (`iss` and `sub` must name it).
pub const CLIENT_ID: &str = "8f4e5b43-2c1d-4a3b-9f6e-7d8c9b0a1e2f";
/// The one accepted audience.
pub const AUDIENCE: &str = "https://login.example.test/tenant/oauth2/v2.0/token";
/// The time assertions are checked at (Unix seconds).
pub const NOW: i64 = 1_800_000_000;

/// In a signed input's header, replaced by the RSA certificate's `x5t`, its `x5t#S256`, and the
/// P-256 certificate's `x5t`, so that committed seeds name keys generated afresh in each process.
const PLACEHOLDERS: [&str; 3] = ["$rsa_x5t", "$rsa_x5t256", "$ec_x5t"];

struct Keys {
    /// Signs with the RSA certificate's key.
    signer: TestSigner,
    /// The registered certificates: RSA first, then P-256.
    registered: Vec<ClientCertificate>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let at = OffsetDateTime::from_unix_timestamp(NOW - 86_400).expect("a valid instant");
        let (rsa, pkcs8) = SigningKey::generate(at).expect("RSA key generation");
        let ec_key = rcgen::KeyPair::generate().expect("P-256 key generation");
        let ec = rcgen::CertificateParams::new(Vec::new())
            .and_then(|p| p.self_signed(&ec_key))
            .expect("a self-signed P-256 certificate");
        let registered = [rsa.certificate_der(), ec.der().as_ref()]
            .map(|der| ClientCertificate::from_der(der).expect("a usable certificate"))
            .into();
        Keys { signer: TestSigner::from_pkcs8(&pkcs8), registered }
    })
}

/// Two modes, by the first byte. Below 0x80 the rest is an assertion as received. From 0x80 the
/// rest is `header JSON \n claims JSON`, signed here with the registered RSA key (bit 0: PS256,
/// else RS256; bit 1: padded segments) after the [`PLACEHOLDERS`] are filled in, so the header
/// and claim checks past the signature are reached. Asserts: no panic, and an accepted
/// assertion's `alg` is one its certificate's key allows (RS256 or PS256 for RSA, ES256 for
/// P-256) and, when signed here, the algorithm that signed it; its digest is of the bytes as
/// received.
///
/// # Panics
///
/// When an accepted assertion breaks one of those rules: that is the finding.
pub(crate) fn client_assertion(data: &[u8]) {
    check_client_assertion(data);
}

/// The body of [`client_assertion`], saying whether the assertion was accepted (`None`: not a
/// well-formed input); the property tests use the answer to see that they reach acceptance.
///
/// # Panics
///
/// When an accepted assertion breaks one of the rules [`client_assertion`] names.
pub fn check_client_assertion(data: &[u8]) -> Option<bool> {
    let (&mode, rest) = data.split_first()?;
    let keys = keys();
    let (raw, signed_as) = if mode < 0x80 {
        (std::str::from_utf8(rest).ok()?.to_owned(), None)
    } else {
        let (header, claims) = split_line(rest);
        let (header, claims) = (std::str::from_utf8(header).ok()?, std::str::from_utf8(claims?).ok()?);
        let header = fill_in(header, &keys.registered);
        let alg = if mode & 1 == 1 { Alg::Ps256 } else { Alg::Rs256 };
        (keys.signer.sign_text(alg, &header, claims, mode & 2 == 2), Some(alg))
    };
    let audiences = [AUDIENCE.to_owned()];
    let ctx = AssertionContext {
        client_id: CLIENT_ID,
        registered: &keys.registered,
        accepted_audiences: &audiences,
        now: NOW,
        max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
        clock_skew_secs: DEFAULT_CLOCK_SKEW_SECS,
    };
    let Ok(accepted) = validate_client_assertion(&raw, &ctx) else { return Some(false) };
    let alg = header_alg(&raw);
    let certificate = keys.registered.iter().find(|c| *c.thumbprint_sha1() == accepted.thumbprint_sha1);
    let allowed: &[&str] = match certificate.map(ClientCertificate::key_kind) {
        Some(KeyKind::Rsa { .. }) => &["RS256", "PS256"],
        Some(KeyKind::EcP256) => &["ES256"],
        None => panic!("{raw:?} was accepted with an unregistered key"),
    };
    assert!(alg.as_deref().is_some_and(|a| allowed.contains(&a)), "{raw:?} accepted with alg {alg:?}");
    if let Some(signed_as) = signed_as {
        let name = if signed_as == Alg::Ps256 { "PS256" } else { "RS256" };
        assert_eq!(alg.as_deref(), Some(name), "{raw:?} signed with {name}");
    }
    assert_eq!(accepted.digest, sha256(raw.as_bytes()));
    assert!(accepted.exp >= NOW - DEFAULT_CLOCK_SKEW_SECS, "{raw:?} accepted expired");
    Some(true)
}

/// `header` with each placeholder replaced by the thumbprint it names.
fn fill_in(header: &str, registered: &[ClientCertificate]) -> String {
    let values = [registered[0].x5t(), registered[0].x5t_s256(), registered[1].x5t()];
    // The longer placeholder first: `$rsa_x5t` is a prefix of `$rsa_x5t256`.
    let order = [1, 0, 2];
    order.iter().fold(header.to_owned(), |text, &i| text.replace(PLACEHOLDERS[i], &values[i]))
}

/// The `alg` of a compact JWS's header, read with serde_json (a second JSON parser).
fn header_alg(raw: &str) -> Option<String> {
    let header = Jws::split(raw).ok()?.header;
    let json = compact::decode(header, Padding::Tolerated).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}
