//! The client-assertion part of the negative catalogue (`security.md` §9 C14–C26), one test per
//! case, each asserting the exact error.

use super::support::*;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use custos_jose::SigningKey;
use custos_jose::assertion::{AssertionError, MAX_ASSERTION_LEN, Malformation, validate_client_assertion};
use custos_jose::cert::CertificateError;
use serde_json::json;

const MALFORMED_HEADER: AssertionError = AssertionError::Malformed(Malformation::Header);

fn key_not_found(hex: &str) -> Result<custos_jose::assertion::ValidatedAssertion, AssertionError> {
    Err(AssertionError::KeyNotFound { thumbprint: hex.to_owned() })
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An assertion with the standard header and the given time claims.
fn with_times(times: &str) -> String {
    rs256_assertion(x5t_header(), claims(V2_TOKEN, times))
}

#[test]
fn c14_alg_none_in_any_case_is_refused() {
    for alg in ["none", "None", "NONE"] {
        let header = b64(format!(r#"{{"alg":"{alg}","x5t":"{}"}}"#, client().cert.x5t()));
        let unsigned = format!("{header}.{}.", b64(good_claims()));
        assert_eq!(validate(&unsigned), Err(AssertionError::Malformed(Malformation::EmptySegment)), "{alg}");
        let junk_signature = format!("{header}.{}.AAAA", b64(good_claims()));
        assert_eq!(validate(&junk_signature), Err(AssertionError::UnsupportedAlgorithm), "{alg}");
    }
}

#[test]
fn c15_hs256_keyed_with_the_public_key_is_refused() {
    let cert = &client().cert;
    let public_pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(cert.public_key_spki())
    );
    let secrets: [&[u8]; 4] =
        [cert.public_key_spki(), public_pem.as_bytes(), cert.der(), client().cert_pem.as_bytes()];
    for secret in secrets {
        let header = format!(r#"{{"alg":"HS256","typ":"JWT","x5t":"{}"}}"#, cert.x5t());
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let raw = assemble(&header, good_claims(), Padding::None, |input| {
            hmac::sign(&key, input).as_ref().to_vec()
        });
        assert_eq!(validate(&raw), Err(AssertionError::UnsupportedAlgorithm));
    }
}

#[test]
fn c16_algorithm_must_fit_the_registered_key() {
    let rsa = &client().cert;
    let ec = &ec_client().cert;
    // RS256 and PS256 are both fine for an RSA key (Entra accepts both).
    assert!(validate(&rs256_assertion(x5t_header(), good_claims())).is_ok());
    let ps = format!(r#"{{"alg":"PS256","x5t":"{}"}}"#, rsa.x5t());
    assert!(validate(&assemble(&ps, good_claims(), Padding::None, ps256(&client().key))).is_ok());
    // ...but the signature must be of the named scheme.
    assert_eq!(
        validate(&assemble(&ps, good_claims(), Padding::None, rs256(&client().key))),
        Err(AssertionError::BadSignature)
    );
    // ES256 on an RSA certificate, RS256/PS256 on a P-256 certificate.
    let es_on_rsa = format!(r#"{{"alg":"ES256","x5t":"{}"}}"#, rsa.x5t());
    assert_eq!(
        validate(&assemble(&es_on_rsa, good_claims(), Padding::None, es256(&ec_client().key))),
        Err(AssertionError::UnsupportedAlgorithm)
    );
    for alg in ["RS256", "PS256"] {
        let on_ec = format!(r#"{{"alg":"{alg}","x5t":"{}"}}"#, ec.x5t());
        assert_eq!(
            validate(&assemble(&on_ec, good_claims(), Padding::None, rs256(&client().key))),
            Err(AssertionError::UnsupportedAlgorithm),
            "{alg}"
        );
    }
    for alg in ["RS384", "RS512", "PS512", "ES384", "EdDSA", "rs256", "RSA-OAEP"] {
        let header = format!(r#"{{"alg":"{alg}","x5t":"{}"}}"#, rsa.x5t());
        assert_eq!(
            validate(&rs256_assertion(&header, good_claims())),
            Err(AssertionError::UnsupportedAlgorithm)
        );
    }
}

#[test]
fn c17_keys_embedded_in_the_header_are_never_used() {
    let cert = &client().cert;
    let attacker = &stranger().cert;
    // An embedded JWK is refused even next to a registered x5t.
    let jwk = json!({"alg": "RS256", "x5t": cert.x5t(), "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}})
        .to_string();
    assert_eq!(validate(&rs256_assertion(&jwk, good_claims())), Err(AssertionError::EmbeddedKey));
    for member in ["jku", "x5u"] {
        let header =
            json!({"alg": "RS256", "x5t": cert.x5t(), member: "https://attacker.test/keys"}).to_string();
        assert_eq!(
            validate(&rs256_assertion(&header, good_claims())),
            Err(AssertionError::EmbeddedKey),
            "{member}"
        );
    }
    // An attacker's certificate in x5c, named by its own x5t, is not a registered key.
    let header =
        json!({"alg": "RS256", "x5t": attacker.x5t(), "x5c": [STANDARD.encode(attacker.der())]}).to_string();
    let raw = assemble(&header, good_claims(), Padding::None, rs256(&stranger().key));
    assert_eq!(validate(&raw), key_not_found(&attacker.thumbprint_hex()));
}

#[test]
fn c18_unknown_odd_or_foreign_key_hints_are_unknown_keys() {
    let cert = &client().cert;
    let unknown = [0x5Au8; 20];
    let header = format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, b64(unknown));
    assert_eq!(validate(&rs256_assertion(&header, good_claims())), key_not_found(&"5A".repeat(20)));
    for kid in ["../../../etc/passwd", "' OR '1'='1' --", "x\u{0}y", &"k".repeat(10_000)] {
        let header = json!({"alg": "RS256", "kid": kid}).to_string();
        assert_eq!(validate(&rs256_assertion(&header, good_claims())), key_not_found(""), "{kid:.20}");
    }
    let guid = "6f1a2b3c-0000-4000-8000-000000000000";
    let header = json!({"alg": "RS256", "kid": guid}).to_string();
    assert_eq!(validate(&rs256_assertion(&header, good_claims())), key_not_found(guid));
    // A SHA-256 thumbprint sent as x5t has the wrong length.
    let header = format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, cert.x5t_s256());
    assert_eq!(
        validate(&rs256_assertion(&header, good_claims())),
        key_not_found(&upper_hex(cert.thumbprint_sha256()))
    );
    // x5t#S256 and x5t naming different certificates.
    let header =
        format!(r#"{{"alg":"RS256","x5t#S256":"{}","x5t":"{}"}}"#, cert.x5t_s256(), stranger().cert.x5t());
    assert_eq!(
        validate(&rs256_assertion(&header, good_claims())),
        key_not_found(&upper_hex(cert.thumbprint_sha256()))
    );
    // No hint at all.
    assert_eq!(
        validate(&rs256_assertion(r#"{"alg":"RS256","typ":"JWT"}"#, good_claims())),
        key_not_found("")
    );
    // Another client's registered key signing for this client.
    let other_registered = [stranger().cert.clone()];
    let other_ctx = custos_jose::assertion::AssertionContext { registered: &other_registered, ..context() };
    let header = format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, cert.x5t());
    assert_eq!(
        validate_client_assertion(&rs256_assertion(&header, good_claims()), &other_ctx),
        key_not_found(&cert.thumbprint_hex())
    );
}

#[test]
fn c19_issuer_and_subject_must_be_the_client() {
    let times = format!(r#""iat":{NOW},"exp":{}"#, NOW + 600);
    let payload = |iss: &str, sub: &str| {
        format!(r#"{{"aud":"{V2_TOKEN}","iss":"{iss}","sub":"{sub}","jti":"{JTI}",{times}}}"#)
    };
    let check = |payload: String| validate(&rs256_assertion(x5t_header(), payload));
    assert_eq!(check(payload(CLIENT_ID, OTHER_CLIENT_ID)), Err(AssertionError::SubjectMismatch));
    assert_eq!(check(payload(OTHER_CLIENT_ID, CLIENT_ID)), Err(AssertionError::SubjectMismatch));
    assert_eq!(check(payload(OTHER_CLIENT_ID, OTHER_CLIENT_ID)), Err(AssertionError::IssuerMismatch));
    assert_eq!(
        check(payload(&CLIENT_ID.to_uppercase(), &CLIENT_ID.to_uppercase())),
        Err(AssertionError::IssuerMismatch)
    );
    let full = good_claims();
    for claim in ["iss", "sub", "aud", "exp"] {
        let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&full).unwrap();
        object.remove(claim);
        let raw = rs256_assertion(x5t_header(), serde_json::to_string(&object).unwrap());
        assert_eq!(validate(&raw), Err(AssertionError::MissingClaim { claim }), "{claim}");
    }
    assert_eq!(
        check(full.replace(&format!(r#""iss":"{CLIENT_ID}""#), r#""iss":7"#)),
        Err(AssertionError::InvalidClaim { claim: "iss" })
    );
    // jti is optional, but a string of bounded length when present.
    assert_eq!(check(full.replace(&format!(r#","jti":"{JTI}""#), "")).unwrap().jti, None);
    assert_eq!(
        check(full.replace(&format!(r#""{JTI}""#), "42")),
        Err(AssertionError::InvalidClaim { claim: "jti" })
    );
    let long = format!(r#""{}""#, "j".repeat(257));
    assert_eq!(
        check(full.replace(&format!(r#""{JTI}""#), &long)),
        Err(AssertionError::InvalidClaim { claim: "jti" })
    );
}

#[test]
fn c20_audience_must_be_exactly_one_accepted_value() {
    let times = format!(r#""iat":{NOW},"exp":{}"#, NOW + 600);
    let check =
        |aud_json: String| validate(&rs256_assertion(x5t_header(), claims_with_aud_json(&aud_json, &times)));
    let quoted = |s: &str| format!(r#""{s}""#);
    for aud in [
        format!("{HOST}/{OTHER_TENANT}/oauth2/v2.0/token"),
        format!("{HOST}/{OTHER_TENANT}/v2.0"),
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"),
        format!("{V2_TOKEN}/"),
        V2_TOKEN.replace("https://", "http://"),
        format!("{HOST}/{TENANT}/oauth2/v2.0/authorize"),
        V2_TOKEN.to_uppercase(),
        String::new(),
    ] {
        assert_eq!(check(quoted(&aud)), Err(AssertionError::WrongAudience), "{aud}");
    }
    for aud_json in [
        format!(r#"["{V2_TOKEN}","junk"]"#),
        "[]".to_owned(),
        "[1]".to_owned(),
        "7".to_owned(),
        "null".to_owned(),
    ] {
        assert_eq!(check(aud_json.clone()), Err(AssertionError::WrongAudience), "{aud_json}");
    }
    assert!(check(format!(r#"["{V2_TOKEN}"]"#)).is_ok());
    assert!(check(quoted(&format!("{HOST}/{TENANT}/v2.0"))).is_ok());
    assert!(check(quoted(&format!("{HOST}/{TENANT}/"))).is_ok());
}

#[test]
fn c21_time_claims_window_lifetime_and_types() {
    let outside = |nbf: Option<i64>, exp: i64| Err(AssertionError::OutsideValidity { now: NOW, nbf, exp });
    // Expired beyond the 300 s skew; exactly at the skew still passes.
    assert_eq!(
        validate(&with_times(&format!(r#""nbf":{},"exp":{}"#, NOW - 901, NOW - 301))),
        outside(Some(NOW - 901), NOW - 301)
    );
    assert!(validate(&with_times(&format!(r#""nbf":{},"exp":{}"#, NOW - 900, NOW - 300))).is_ok());
    // Not yet valid, and issued in the future (reported as the start of validity).
    assert_eq!(
        validate(&with_times(&format!(r#""nbf":{},"exp":{}"#, NOW + 301, NOW + 900))),
        outside(Some(NOW + 301), NOW + 900)
    );
    assert!(validate(&with_times(&format!(r#""nbf":{},"exp":{}"#, NOW + 300, NOW + 900))).is_ok());
    assert_eq!(
        validate(&with_times(&format!(r#""iat":{},"exp":{}"#, NOW + 301, NOW + 900))),
        outside(Some(NOW + 301), NOW + 900)
    );
    // Lifetime cap (3600 s) from the earliest of iat, nbf and now (CVE-2025-2559).
    let too_long = |lifetime| Err(AssertionError::LifetimeTooLong { lifetime, max: 3600 });
    assert!(validate(&with_times(&format!(r#""iat":{NOW},"exp":{}"#, NOW + 3600))).is_ok());
    assert_eq!(validate(&with_times(&format!(r#""iat":{NOW},"exp":{}"#, NOW + 3601))), too_long(3601));
    assert_eq!(validate(&with_times(&format!(r#""exp":{}"#, NOW + 25 * 3600))), too_long(25 * 3600));
    assert_eq!(
        validate(&with_times(&format!(r#""iat":{},"exp":{}"#, NOW - 3000, NOW + 700))),
        too_long(3700)
    );
    assert_eq!(
        validate(&with_times(&format!(r#""iat":{},"exp":{}"#, NOW - 2 * 86_400, NOW + 600))),
        too_long(2 * 86_400 + 600)
    );
    // Types: numbers only (floats allowed), non-negative, finite, before year 10000.
    let invalid = |claim| Err(AssertionError::InvalidTimeClaim { claim });
    let exp = NOW + 600;
    assert_eq!(validate(&with_times(&format!(r#""exp":"{exp}""#))), invalid("exp"));
    assert_eq!(validate(&with_times(&format!(r#""nbf":"99999999999","exp":{exp}"#))), invalid("nbf"));
    assert_eq!(validate(&with_times(&format!(r#""nbf":-1,"exp":{exp}"#))), invalid("nbf"));
    assert_eq!(validate(&with_times(r#""exp":1e309"#)), invalid("exp"));
    assert_eq!(validate(&with_times(r#""exp":99999999999999"#)), invalid("exp"));
    assert_eq!(validate(&with_times(&format!(r#""iat":null,"exp":{exp}"#))), invalid("iat"));
    assert_eq!(validate(&with_times(&format!(r#""iat":[{NOW}],"exp":{exp}"#))), invalid("iat"));
    assert_eq!(validate(&with_times(r#""exp":true"#)), invalid("exp"));
    assert!(validate(&with_times(&format!(r#""exp":{exp}.999e0"#))).is_ok());
}

#[test]
fn c22_byte_identical_reuse_is_recognisable_by_digest_and_jti() {
    // Replay decisions belong to the caller (jti store); it needs the jti and the digest.
    let raw = with_times(&format!(r#""iat":{NOW},"exp":{}"#, NOW + 600));
    let first = validate(&raw).unwrap();
    let second = validate(&raw).unwrap();
    assert_eq!(first, second);
    let reshuffled =
        rs256_assertion(x5t_header(), claims(V2_TOKEN, &format!(r#""exp":{},"iat":{NOW}"#, NOW + 600)));
    let third = validate(&reshuffled).unwrap();
    assert_eq!(third.jti, first.jti);
    assert_ne!(third.digest, first.digest, "same jti, different content");
}

#[test]
fn c23_other_kinds_of_jwt_are_not_client_assertions() {
    let cert = &client().cert;
    for typ in ["at+jwt", "application/at+jwt", "dpop+jwt", "id_token+jwt", "JOSE", "secevent+jwt"] {
        let header = json!({"alg": "RS256", "typ": typ, "x5t": cert.x5t()}).to_string();
        assert_eq!(
            validate(&rs256_assertion(&header, good_claims())),
            Err(AssertionError::WrongType),
            "{typ}"
        );
    }
    // An access token custos issued (typ JWT, signed by the token-signing key) is not signed by
    // a registered client key.
    let now = time::OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let (signing_key, _) = SigningKey::generate(now).unwrap();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": signing_key.kid(), "x5t": signing_key.kid()});
    let access_claims = json!({
        "aud": V2_TOKEN, "iss": format!("{HOST}/{TENANT}/v2.0"), "sub": CLIENT_ID, "appid": CLIENT_ID,
        "azp": CLIENT_ID, "iat": NOW, "nbf": NOW, "exp": NOW + 3599, "uti": "abc", "ver": "2.0",
    });
    let token = signing_key.sign_compact(&header, &access_claims).unwrap();
    let thumbprint = upper_hex(&URL_SAFE_NO_PAD.decode(signing_key.kid()).unwrap());
    assert_eq!(validate(&token), key_not_found(&thumbprint));
}

#[test]
fn c24_json_edge_cases() {
    let cert = &client().cert;
    let duplicate = AssertionError::Malformed(Malformation::DuplicateMember);
    let header = format!(r#"{{"alg":"RS256","alg":"none","x5t":"{}"}}"#, cert.x5t());
    assert_eq!(validate(&rs256_assertion(&header, good_claims())), Err(duplicate.clone()));
    let payload = good_claims().replace(r#""exp":"#, &format!(r#""exp":{},"exp":"#, NOW + 99_999));
    assert_eq!(validate(&rs256_assertion(x5t_header(), &payload)), Err(duplicate.clone()));
    let nested = good_claims().replace(r#""jti":"#, r#""x":{"k":1,"k":2},"jti":"#);
    assert_eq!(validate(&rs256_assertion(x5t_header(), &nested)), Err(duplicate));

    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(x5t_header().as_bytes());
    assert_eq!(validate(&rs256_assertion(&bom, good_claims())), Err(MALFORMED_HEADER));
    let mut not_utf8 = x5t_header().into_bytes();
    not_utf8.insert(9, 0xff);
    assert_eq!(validate(&rs256_assertion(&not_utf8, good_claims())), Err(MALFORMED_HEADER));
    for header in ["null", "[]", "\"JWT\"", "{\"alg\":\"RS256\"", "{}{}"] {
        assert_eq!(validate(&rs256_assertion(header, good_claims())), Err(MALFORMED_HEADER), "{header}");
    }
    let claims_error = AssertionError::Malformed(Malformation::Claims);
    assert_eq!(validate(&rs256_assertion(x5t_header(), "[]")), Err(claims_error.clone()));
    let deep =
        good_claims().replace(r#""jti":"#, &format!(r#""x":{}1{},"jti":"#, "[".repeat(500), "]".repeat(500)));
    assert_eq!(validate(&rs256_assertion(x5t_header(), &deep)), Err(claims_error));

    let crit = format!(r#"{{"alg":"RS256","crit":["exp"],"exp":1,"x5t":"{}"}}"#, cert.x5t());
    assert_eq!(validate(&rs256_assertion(&crit, good_claims())), Err(AssertionError::CriticalHeader));
}

#[test]
fn c25_encoding_and_size() {
    let valid = rs256_assertion(x5t_header(), good_claims());
    assert!(validate(&valid).is_ok());
    let segment_count = Err(AssertionError::Malformed(Malformation::SegmentCount));
    assert_eq!(validate(&format!("{valid}.AAAA")), segment_count);
    assert_eq!(validate(&format!("{valid}.AAAA.BBBB")), segment_count);
    assert_eq!(validate(&".".repeat(10_000)), segment_count);
    let parts: Vec<&str> = valid.split('.').collect();
    let json_serialization =
        json!({"protected": parts[0], "payload": parts[1], "signature": parts[2]}).to_string();
    assert_eq!(validate(&json_serialization), segment_count);

    let huge = format!("{valid}{}", "A".repeat(1 << 20));
    assert_eq!(validate(&huge), Err(AssertionError::TooLarge { len: huge.len(), max: MAX_ASSERTION_LEN }));

    let base64 = Err(AssertionError::Malformed(Malformation::Base64));
    // The 256-byte signature ends in a character carrying 4 unused bits; set one.
    let (head, last) = valid.split_at(valid.len() - 1);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.iter().position(|c| *c == last.as_bytes()[0]).unwrap();
    assert_eq!(index & 0x0f, 0, "canonical encoding");
    assert_eq!(validate(&format!("{head}{}", char::from(alphabet[index | 1]))), base64);
    for (from, to) in [(".", ".\n"), (".", ". "), (".", ".+"), (".", ".=="), (".", "./")] {
        assert_eq!(validate(&valid.replacen(from, to, 1)), base64, "{to:?}");
    }
    let b64_false =
        format!(r#"{{"alg":"RS256","b64":false,"crit":["b64"],"x5t":"{}"}}"#, client().cert.x5t());
    assert_eq!(validate(&rs256_assertion(&b64_false, good_claims())), Err(AssertionError::CriticalHeader));
    // A changed character in the payload breaks the signature.
    let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
    let changed = if parts[1].as_bytes()[10] == b'A' { "B" } else { "A" };
    parts[1].replace_range(10..11, changed);
    let forged = parts.join(".");
    assert_eq!(validate(&forged), Err(AssertionError::BadSignature));
}

#[test]
fn c26_ecdsa_signature_forms_and_short_rsa_keys() {
    let cert = &ec_client().cert;
    let header = format!(r#"{{"alg":"ES256","x5t":"{}"}}"#, cert.x5t());
    let real = es256(&ec_client().key)(b"unused");
    for signature in [
        vec![0u8; 64],
        [vec![0u8; 32], real[32..].to_vec()].concat(),
        [real[..32].to_vec(), vec![0u8; 32]].concat(),
    ] {
        let raw = assemble(&header, good_claims(), Padding::None, |_| signature.clone());
        assert_eq!(validate(&raw), Err(AssertionError::BadSignature));
    }
    let der_key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &ec_client().pkcs8).unwrap();
    let der = assemble(&header, good_claims(), Padding::None, |input| {
        der_key.sign(&SystemRandom::new(), input).unwrap().as_ref().to_vec()
    });
    assert_eq!(validate(&der), Err(AssertionError::BadSignature));
    for len in [63, 65] {
        let raw = assemble(&header, good_claims(), Padding::None, |input| {
            let mut signature = es256(&ec_client().key)(input);
            signature.resize(len, 1);
            signature
        });
        assert_eq!(validate(&raw), Err(AssertionError::BadSignature), "{len}");
    }
    let short = custos_jose::cert::ClientCertificate::from_pem(include_str!("../fixtures/rsa1024.pem"));
    assert_eq!(short.unwrap_err(), CertificateError::RsaKeyTooShort { bits: 1024 });
}
