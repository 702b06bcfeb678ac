//! Client-assertion validation against assertions built the way each client library builds them
//! (`entra-wire.md` §6), the negative catalogue C14–C26 of `security.md` §9 (in `catalogue`),
//! and client-certificate parsing (in `certificates`).

#[path = "assertion/catalogue.rs"]
mod catalogue;
#[path = "assertion/certificates.rs"]
mod certificates;
#[path = "assertion/support.rs"]
mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use custos_jose::assertion::{AssertionError, ValidatedAssertion};
use serde_json::json;
use support::*;

fn sha256(bytes: &[u8]) -> [u8; 32] {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref().try_into().unwrap()
}

fn accepted(raw: &str, exp: i64, iat: Option<i64>, thumbprint: &[u8; 20]) {
    assert_eq!(
        validate(raw),
        Ok(ValidatedAssertion {
            jti: Some(JTI.to_owned()),
            exp,
            iat,
            thumbprint_sha1: *thumbprint,
            digest: sha256(raw.as_bytes()),
        })
    );
}

/// MSAL Python with `{"private_key", "thumbprint"}`: RS256, `x5t` padded with `=`, `typ` JWT,
/// sorted compact header (PyJWT), float `exp`/`iat` from `time.time()`, no `nbf`, and `x5c` with
/// a PEM body that keeps its newlines.
#[test]
fn msal_python_rs256_with_padded_x5t_float_times_and_x5c() {
    let cert = &client().cert;
    let header = json!({
        "alg": "RS256",
        "typ": "JWT",
        "x5c": [pem_body_with_newlines(cert.der())],
        "x5t": URL_SAFE.encode(cert.thumbprint_sha1()),
    });
    let header = serde_json::to_string(&header).unwrap();
    assert!(header.contains(r"\n") && header.contains(r#"=""#), "{header}");
    let payload = format!(
        r#"{{"aud":"{V2_TOKEN}","exp":{}.8123457,"iat":{}.8123457,"iss":"{CLIENT_ID}","jti":"{JTI}","sub":"{CLIENT_ID}"}}"#,
        NOW + 599,
        NOW - 1
    );
    let raw = assemble(&header, &payload, Padding::None, rs256(&client().key));
    accepted(&raw, NOW + 599, Some(NOW - 1), cert.thumbprint_sha1());
}

/// MSAL Python with a certificate whose SHA-256 thumbprint is known: PS256 and a padded
/// `x5t#S256`.
#[test]
fn msal_python_ps256_with_padded_x5t_s256() {
    let cert = &client().cert;
    let header = format!(
        r#"{{"alg":"PS256","typ":"JWT","x5t#S256":"{}"}}"#,
        URL_SAFE.encode(cert.thumbprint_sha256())
    );
    let payload = format!(
        r#"{{"aud":"{V2_TOKEN}","exp":{}.25,"iat":{NOW}.25,"iss":"{CLIENT_ID}","jti":"{JTI}","sub":"{CLIENT_ID}"}}"#,
        NOW + 600
    );
    let raw = assemble(&header, &payload, Padding::None, ps256(&client().key));
    accepted(&raw, NOW + 600, Some(NOW), cert.thumbprint_sha1());
}

/// azure-identity `AadClient`: `json.dumps` with spaces, PS256 + `x5t#S256`, `exp = now + 1800`,
/// and every segment encoded with `base64.urlsafe_b64encode` (padded). The signature covers the
/// padded bytes: removing the padding breaks it. (With the token endpoint as `aud` the header
/// and payload happen to need no padding here, so the issuer form is sent too.)
#[test]
fn azure_identity_aad_client_ps256_with_padded_segments() {
    let cert = &client().cert;
    let header = format!(
        r#"{{"typ": "JWT", "alg": "PS256", "x5t#S256": "{}"}}"#,
        URL_SAFE.encode(cert.thumbprint_sha256())
    );
    let mut stripped_checks = 0;
    for aud in [V2_TOKEN.to_owned(), format!("{HOST}/{TENANT}/v2.0")] {
        let payload = format!(
            r#"{{"jti": "{JTI}", "aud": "{aud}", "iss": "{CLIENT_ID}", "sub": "{CLIENT_ID}", "nbf": {NOW}, "exp": {}}}"#,
            NOW + 1800
        );
        let raw = assemble(&header, &payload, Padding::Padded, ps256(&client().key));
        assert!(raw.ends_with('='), "a 256-byte signature is padded");
        accepted(&raw, NOW + 1800, None, cert.thumbprint_sha1());

        let mut segments: Vec<String> = raw.split('.').map(str::to_owned).collect();
        if let Some(padded) = segments[..2].iter().position(|s| s.ends_with('=')) {
            segments[padded] = segments[padded].trim_end_matches('=').to_owned();
            assert_eq!(validate(&segments.join(".")), Err(AssertionError::BadSignature));
            stripped_checks += 1;
        }
    }
    assert!(stripped_checks > 0, "some header or payload segment was padded");
}

/// MSAL Node: RS256 + unpadded `x5t`, `typ` JWT, `nbf` = `iat`, `exp = iat + 600`.
#[test]
fn msal_node_rs256_with_x5t_nbf_iat_and_exp() {
    let cert = &client().cert;
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","x5t":"{}"}}"#, cert.x5t());
    let iat = NOW - 30;
    let payload = format!(
        r#"{{"aud":"{V2_TOKEN}","exp":{},"iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","nbf":{iat},"jti":"{JTI}","iat":{iat}}}"#,
        iat + 600
    );
    let raw = assemble(&header, &payload, Padding::None, rs256(&client().key));
    accepted(&raw, iat + 600, Some(iat), cert.thumbprint_sha1());
}

/// Seed 004's older form: RS256 + `x5t` without `typ`, `aud` = the v1 token endpoint, and a
/// payload written with JSON `\/` escapes.
#[test]
fn seed_004_raw_form_with_v1_audience_and_escaped_slashes() {
    let cert = &client().cert;
    let header = format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, cert.x5t());
    let aud = V1_TOKEN.replace('/', r"\/");
    let nbf = NOW - 60;
    let payload = format!(
        r#"{{"aud":"{aud}","iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","jti":"{JTI}","nbf":{nbf},"exp":{}}}"#,
        nbf + 600
    );
    assert!(payload.contains(r"https:\/\/"));
    let raw = assemble(&header, &payload, Padding::None, rs256(&client().key));
    accepted(&raw, nbf + 600, None, cert.thumbprint_sha1());
}

/// A P-256 certificate verifies ES256 assertions with raw R‖S signatures.
#[test]
fn es256_with_a_registered_p256_certificate() {
    let cert = &ec_client().cert;
    let header =
        format!(r#"{{"alg":"ES256","typ":"client-authentication+jwt","x5t#S256":"{}"}}"#, cert.x5t_s256());
    let raw = assemble(&header, good_claims(), Padding::None, es256(&ec_client().key));
    accepted(&raw, NOW + 600, Some(NOW), cert.thumbprint_sha1());
}

/// Without `x5t`, a `kid` equal to a thumbprint (hex or base64url) finds the key.
#[test]
fn kid_naming_a_thumbprint_in_hex_or_base64url_finds_the_key() {
    let cert = &client().cert;
    for kid in [cert.thumbprint_hex(), cert.thumbprint_hex().to_lowercase(), cert.x5t(), cert.x5t_s256()] {
        let raw = rs256_assertion(format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#), good_claims());
        accepted(&raw, NOW + 600, Some(NOW), cert.thumbprint_sha1());
    }
}

/// Reuse is the caller's decision; the digest identifies byte-identical assertions.
#[test]
fn digest_identifies_byte_identical_assertions() {
    let first = rs256_assertion(x5t_header(), good_claims());
    let again = validate(&first).unwrap();
    assert_eq!(validate(&first).unwrap().digest, again.digest);
    let other_jti = rs256_assertion(x5t_header(), good_claims().replace(JTI, "another"));
    assert_ne!(validate(&other_jti).unwrap().digest, again.digest);
}

#[test]
fn error_codes_follow_entra() {
    let cases = [
        (AssertionError::KeyNotFound { thumbprint: String::new() }, 700027),
        (AssertionError::BadSignature, 700027),
        (AssertionError::SubjectMismatch, 50048),
        (AssertionError::IssuerMismatch, 700021),
        (AssertionError::WrongAudience, 700023),
        (AssertionError::OutsideValidity { now: 0, nbf: None, exp: 0 }, 700024),
        (AssertionError::LifetimeTooLong { lifetime: 0, max: 0 }, 700024),
        (AssertionError::UnsupportedAlgorithm, 50027),
    ];
    for (error, code) in cases {
        assert_eq!(error.aadsts_code(), code, "{error:?}");
    }
    assert_eq!(
        AssertionError::WrongAudience.to_string(),
        "Client assertion audience claim does not match Realm issuer."
    );
    assert_eq!(
        AssertionError::SubjectMismatch.to_string(),
        "Subject mismatches Issuer claim in the client assertion"
    );
}
